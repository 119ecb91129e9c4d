// kube-sim from the command line:
//   pnpm exec node packages/kube-sim/src/cli.ts --port 6443 --kubeconfig .dev/kubeconfig [--mode fast]
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { startKubeSim } from './index.ts';

// V8's young generation grows to 2 x 64 MiB on a 64-bit machine (no pointer compression in
// Node's builds) and is never given back while the sim is busy; almost everything the sim
// allocates dies young or lives for the whole run, so a small one costs little CPU and saves
// ~100 MB of RSS. And V8 grows the old generation by a factor of up to 4 after each full GC
// while allocation is fast (the create burst), then keeps it: at 10,000 Jobs it held ~210 MB for
// ~90 MB live. `--heap-growing-percent=75` caps each step at 1.75x: ~60 MB less RSS, and with the
// sim's allocation per create cut (Events cold from birth, flat uids) no measurable CPU cost (at
// 50 it costs ~20% more sim CPU). Re-exec (same pid) with each flag the user did not choose.
const V8_FLAGS: [string, string][] = [
  ['--max-semi-space-size', '--max-semi-space-size=8'],
  ['--heap-growing-percent', '--heap-growing-percent=75'],
  // For the store's full GC once quiet after a burst (store.ts, collectIfWorthIt).
  ['--expose-gc', '--expose-gc'],
];
const chosen = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
const add = V8_FLAGS.filter(([name]) => !chosen.includes(name)).map(([, flag]) => flag);
if (add.length > 0 && !process.env.KUBE_SIM_NO_V8_FLAGS && process.execve) {
  // glibc malloc, unless the user set it: with its default dynamic mmap threshold, the 64 KiB
  // list chunks and 256 KiB cold-JSON slabs end up in the brk heap, which fragments and is never
  // given back (~90 MB of [heap] at 10,000 Jobs); mmapped from 64 KiB up, they are returned on free.
  const env = { MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '131072', ...process.env };
  process.execve(
    process.execPath,
    [process.execPath, ...add, ...process.execArgv, ...process.argv.slice(1)],
    env,
  );
}

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
// Diagnostics: `kill -USR2 <pid>` prints the process's memory use (bench/kube-sim.ts reads it).
process.on('SIGUSR2', () => {
  const spaces: Record<string, number> = {};
  for (const sp of getHeapSpaceStatistics()) spaces[sp.space_name] = sp.space_size;
  console.error(`kube-sim memory ${JSON.stringify({ ...process.memoryUsage(), ...spaces })}`);
});
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
