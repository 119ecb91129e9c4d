/**
 * Brings the whole system up on embedded defaults: migrates Postgres, starts its own nats-server
 * (infra/nats configuration: every service with its own NATS user, a NATS user for tenant
 * "default"), provisions the JetStream streams, starts kube-sim and the five services, and prints how
 * to use it. A service that dies is restarted with backoff, as a Deployment would; SIGINT/SIGTERM
 * stops it all. Every default can be overridden with the same variables the services read;
 * DEV_REPLICAS runs that many of each.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { provision } from '@po/bus';
import { subjects } from '@po/contracts';
import { prepareDatabase, SERVICES, startNats, startSystem } from '@po/devstack';
import { startKubeSim } from '@po/kube-sim';
import { daysToSeconds, deadLetterEnv, parseConfig } from '@po/runtime/config';
import { z } from 'zod';
import { buildConsole, consoleBuildIsStale } from './console-build.ts';

const env = process.env;
const databaseUrl = env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/pipeline_operator';
/** The dev nats-server's port; default one the OS picks (4222 is often a system server's). */
const natsPort = env.NATS_PORT ? Number(env.NATS_PORT) : undefined;
const busPrefix = env.BUS_PREFIX ?? 'po';
const namespace = env.K8S_NAMESPACE ?? 'pipelines';
const gatewayPort = Number(env.PORT ?? 8080);
const kubeSimPort = Number(env.KUBE_SIM_PORT ?? 6443);
const replicas = Number(env.DEV_REPLICAS ?? 1);
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 10) {
  console.error('DEV_REPLICAS: must be an integer from 1 to 10');
  process.exit(2);
}

// A signal while starting is honoured once everything is up (then stopped in order), so nothing
// half-started is left behind.
let onSignal = () => {
  stopRequested = true;
};
let stopRequested = false;
process.on('SIGINT', () => onSignal());
process.on('SIGTERM', () => onSignal());

mkdirSync('.dev/logs', { recursive: true });
const keyFile = '.dev/api-key';
if (!existsSync(keyFile)) writeFileSync(keyFile, `dev-${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
const devApiKey = env.DEV_API_KEY ?? readFileSync(keyFile, 'utf8').trim();

// The web console (served by the gateway at /ui): built when missing or older than its sources.
if (consoleBuildIsStale()) {
  console.log('building the web console (apps/console)');
  if (!buildConsole()) console.error('the web console did not build: /ui answers 404 until it does');
}

console.log('migrating', databaseUrl);
await prepareDatabase(databaseUrl);
mkdirSync('.dev/nats', { recursive: true });
const nats = await startNats({
  prefix: busPrefix,
  tenants: ['default'],
  dir: resolve('.dev/nats'),
  ...(natsPort ? { port: natsPort } : {}),
});
const natsUrl = nats.url;
console.log(`nats-server listening on ${natsUrl} (configuration in .dev/nats/)`);
const nc = await nats.connect(nats.service('provisioner'), 'dev-provisioner');
// Dead letters age out of their stream (max_age): RETENTION_DEAD_LETTERS_DAYS, default 30.
const { RETENTION_DEAD_LETTERS_DAYS } = parseConfig(z.object(deadLetterEnv), env);
await provision(nc, busPrefix, { deadLetterMaxAgeMs: daysToSeconds(RETENTION_DEAD_LETTERS_DAYS) * 1000 });
await nc.close();

// Absolute: the services run in the repository's root, whatever this command's directory.
const kubeconfigPath = resolve('.dev/kubeconfig');
const sim = await startKubeSim({ port: kubeSimPort, kubeconfigPath, namespaces: ['default', namespace] });
console.log(
  `kube-sim listening on ${sim.url} (kubectl --kubeconfig .dev/kubeconfig get jobs -n ${namespace})`,
);

const system = await startSystem({
  databaseUrl,
  natsUrl,
  natsCredentials: (name) => nats.service(name),
  busPrefix,
  kubeconfigPath,
  namespace,
  devApiKey,
  gatewayPort,
  output: { dir: resolve('.dev/logs') },
  replicas: Object.fromEntries(SERVICES.map((name) => [name, replicas])),
  supervise: true,
  log: (line) => console.error(`${new Date().toISOString()} ${line}`),
  env: {
    ...(env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT }
      : {}),
    ...(env.TRACE_UI_URL ? { TRACE_UI_URL: env.TRACE_UI_URL } : {}),
  },
});

// How to go from a pipeline to its trace (only when a trace UI is configured).
const traceHint = env.TRACE_UI_URL
  ? `
  trace of a pipeline: its "trace_url" (${env.TRACE_UI_URL.replace(/\/+$/, '')}/trace/<trace_id>), e.g.
  curl -s ${system.gatewayUrl}/pipelines/<id> -H "Authorization: Bearer ${devApiKey}" | jq -r .trace_url${
    env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? ''
      : '\n  (set OTEL_EXPORTER_OTLP_ENDPOINT too, e.g. http://localhost:4318, or no span is exported)'
  }
`
  : '';

const url = system.gatewayUrl;
console.log(`
Pipeline Operator is up.
  gateway   ${url}   (docs: ${url}/docs)
  console   ${url}/ui/   (sign in with the api key on the next line)
  api key   ${devApiKey}   (dev mode: admin of tenant "default")
  logs      .dev/logs/<service>.log (a service that dies is restarted; this terminal says so)
  nats      ${natsUrl}   tenant "default": user ${nats.tenant('default').user}, password ${nats.tenant('default').password},
            inbox prefix ${nats.tenant('default').inboxPrefix}; submit on ${subjects(busPrefix).submit('default')}

Try:
  echo 'line one' > /tmp/input.txt
  curl -s -X POST ${url}/pipelines \\
    -H "Authorization: Bearer ${devApiKey}" -H 'Content-Type: application/json' \\
    -d '{"pipeline_type":"DataProcessing","config":{"input_path":"/tmp/input.txt","output_path":"/tmp/output.txt"},"priority":"High"}'
  curl -s ${url}/pipelines/<id> -H "Authorization: Bearer ${devApiKey}"
  curl -s ${url}/pipelines/<id>/logs -H "Authorization: Bearer ${devApiKey}"

Or with the CLI (pnpm exec po --help):
  export PO_URL=${url} PO_API_KEY=${devApiKey}
  pnpm exec po submit --type DataProcessing --set input_path=/tmp/input.txt --set output_path=/tmp/output.txt --wait
  pnpm exec po list
  pnpm exec po logs -f <id>

${traceHint}
Ctrl-C stops everything.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  await system.stop();
  await sim.stop();
  await nats.stop();
  process.exit(0);
};
onSignal = () => void stop();
if (stopRequested) void stop();
