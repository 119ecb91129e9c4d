// kube-sim from the command line:
//   pnpm exec node packages/kube-sim/src/cli.ts --port 6443 --kubeconfig .dev/kubeconfig [--mode fast]
import { parseArgs } from 'node:util';
import { startKubeSim } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    kubeconfig: { type: 'string' },
    mode: { type: 'string', default: 'process' },
    namespace: { type: 'string', multiple: true },
    'work-dir': { type: 'string' },
    'fast-duration-ms': { type: 'string' },
    'fast-exit-code': { type: 'string' },
    'fast-log': { type: 'string' },
  },
});

const mode = values.mode;
if (mode !== 'process' && mode !== 'fast') {
  console.error(`--mode must be "process" or "fast", got "${mode}"`);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}
const fast: { durationMs?: number; exitCode?: number; log?: string } = {};
if (values['fast-duration-ms'] !== undefined) fast.durationMs = Number(values['fast-duration-ms']);
if (values['fast-exit-code'] !== undefined) fast.exitCode = Number(values['fast-exit-code']);
if (values['fast-log'] !== undefined) fast.log = values['fast-log'];

const sim = await startKubeSim({
  port,
  mode,
  fast,
  ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {}),
  ...(values.namespace ? { namespaces: values.namespace } : {}),
  ...(values['work-dir'] ? { workDir: values['work-dir'] } : {}),
});
console.log(sim.url);
if (sim.kubeconfigPath) console.error(`kubeconfig written to ${sim.kubeconfigPath}`);

let stopping = false;
const shutdown = (sig: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`kube-sim: ${sig}, stopping`);
  sim.stop().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
