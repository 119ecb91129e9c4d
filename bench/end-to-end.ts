/**
 * The whole system under load: the five services as processes, kube-sim in fast mode (each pod
 * completes FAST_MS after it starts, with a log line, no process), real Postgres and NATS. Submits
 * COUNT pipelines at RATE/s (open loop) through the gateway and waits until every one has
 * Succeeded, its logs are stored and its Job is deleted; then reports, from the database's own
 * timestamps, how long each step took (p50/p99/max) and the pipelines completed per second.
 * Run: pnpm exec node bench/end-to-end.ts [--count 2000] [--rate 100] [--fastMs 100] [--cpu-prof DIR]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectNats, deleteStreams, provision } from '@po/bus';
import { createDb } from '@po/db';
import { dropDatabase, prepareDatabase, startSystem } from '@po/devstack';
import { startKubeSim } from '@po/kube-sim';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '100' },
    fastMs: { type: 'string', default: '100' },
    /** Write each service's V8 CPU profile into this directory (on exit). */
    'cpu-prof': { type: 'string' },
  },
});
const COUNT = Number(values.count);
const RATE = Number(values.rate);
const NAMESPACE = 'pipelines';

const id = randomBytes(4).toString('hex');
const dir = mkdtempSync(join(tmpdir(), `po-bench-e2e-${id}-`));
const databaseUrl = `postgres://root@127.0.0.1:5432/po_bench_e2e_${id}`;
const busPrefix = `e${id}`;
const apiKey = `bench-${randomBytes(8).toString('hex')}`;

await prepareDatabase(databaseUrl);
const nc = await connectNats({ servers: 'nats://127.0.0.1:4222', name: 'bench-e2e' });
await provision(nc, busPrefix);
const sim = await startKubeSim({
  kubeconfigPath: join(dir, 'kubeconfig'),
  namespaces: ['default', NAMESPACE],
  workDir: dir,
  mode: 'fast',
  fast: { durationMs: Number(values.fastMs), exitCode: 0, log: 'processed 1000 records' },
});
const system = await startSystem({
  databaseUrl,
  natsUrl: 'nats://127.0.0.1:4222',
  busPrefix,
  kubeconfigPath: join(dir, 'kubeconfig'),
  namespace: NAMESPACE,
  devApiKey: apiKey,
  output: { dir },
  logLevel: 'warn',
  env: {
    SCHEDULER_MAX_RUNNING: '500',
    TENANT_MAX_RUNNING: '500',
    RATE_LIMIT_IP_PER_SECOND: '1000000',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_TENANT_PER_SECOND: '1000000',
    RATE_LIMIT_TENANT_BURST: '1000000',
    ...(values['cpu-prof'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values['cpu-prof']}` } : {}),
  },
});
const { db: bench, close: closeBench } = createDb({
  connectionString: databaseUrl,
  max: 1,
  applicationName: 'bench',
});

const body = JSON.stringify({
  pipeline_type: 'DataProcessing',
  config: { input_path: '/data/in.csv', output_path: '/data/out.json' },
  priority: 'Normal',
});

async function post(): Promise<boolean> {
  const res = await fetch(`${system.gatewayUrl}/pipelines`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status === 201;
}

/** user+system CPU seconds of a process (0 when it is gone). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}
const pidsOf = (comm: string) =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    })
    .map(Number);
/** CPU seconds so far per component: each service, this process (kube-sim + load), Postgres, NATS. */
function cpuSnapshot(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const svc of system.services.values()) out[svc.name] = cpuOf(svc.process.pid ?? 0);
  out['kube-sim + bench client'] = cpuOf(process.pid);
  out.postgres = pidsOf('postgres').reduce((a, p) => a + cpuOf(p), 0);
  out['nats-server'] = pidsOf('nats-server').reduce((a, p) => a + cpuOf(p), 0);
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const summary = (xs: number[]) => ({
  p50: Math.round(pct(xs, 50)),
  p99: Math.round(pct(xs, 99)),
  max: Math.round(Math.max(...xs)),
});

try {
  const cpu0 = cpuSnapshot();
  const start = performance.now();
  const sends: Promise<boolean>[] = [];
  for (let i = 0; i < COUNT; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(post());
  }
  const accepted = (await Promise.all(sends)).filter(Boolean).length;

  // Done = its Job deleted (after Succeeded and the logs stored). Polled every 250 ms, up to 10 min.
  const deadline = Date.now() + 600_000;
  let done = 0;
  while (Date.now() < deadline) {
    const row = await bench
      .selectFrom('pipeline_attempts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('job_deleted_at', 'is not', null)
      .executeTakeFirstOrThrow();
    done = Number(row.n);
    if (done >= accepted) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu1 = cpuSnapshot();
  const cpuMsPerPipeline = Object.fromEntries(
    Object.entries(cpu1).map(([k, v]) => [
      k,
      +(((v - (cpu0[k] ?? 0)) * 1000) / Math.max(1, done)).toFixed(2),
    ]),
  );

  const rows = await bench
    .selectFrom('pipelines as p')
    .innerJoin('pipeline_attempts as a', (j) =>
      j.onRef('a.pipeline_id', '=', 'p.id').onRef('a.attempt', '=', 'p.attempt'),
    )
    .select([
      'p.status',
      'p.created_at',
      'a.admitted_at',
      'a.job_created_at',
      'p.started_at',
      'p.finished_at',
      'a.logs_captured_at',
      'a.job_deleted_at',
    ])
    .execute();
  const steps = {
    admitted: 'admitted_at',
    jobCreated: 'job_created_at',
    running: 'started_at',
    finished: 'finished_at',
    logsStored: 'logs_captured_at',
    jobDeleted: 'job_deleted_at',
  } as const;
  const msFromRequestTo = Object.fromEntries(
    Object.entries(steps).map(([step, column]) => [
      step,
      summary(rows.flatMap((r) => (r[column] ? [r[column].getTime() - r.created_at.getTime()] : []))),
    ]),
  );
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;

  console.log(
    JSON.stringify(
      {
        machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
        loadAverage1m: loadavg()[0]?.toFixed(1),
        submitted: COUNT,
        rate: RATE,
        fastPodMs: Number(values.fastMs),
        accepted,
        done,
        statuses,
        completedPerSecond: Math.round(done / seconds),
        msFromRequestTo,
        cpuMsPerPipeline,
      },
      null,
      2,
    ),
  );
} finally {
  await closeBench();
  await system.stop();
  await sim.stop();
  await deleteStreams(nc, busPrefix);
  await nc.close();
  await dropDatabase(databaseUrl);
}
