/**
 * Idle memory: starts the five services (devstack, kube-sim fast mode, nothing submitted), waits
 * IDLE seconds, reports each service's RSS split as /proc reports it (anonymous: heap and other
 * private memory; file: mapped code such as the node binary, shared between processes), then takes
 * a heap snapshot of one service (--heapsnapshot-signal=SIGUSR2) and prints where its heap is
 * (bench/lib/heap-snapshot.ts). The system under test comes from PO_SUT_ROOT when set.
 * Run: pnpm exec node bench/idle-memory.ts [--idleSeconds 10] [--service watcher] [--keep DIR]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKubeSim } from '@po/kube-sim';
import { printBenchJson } from './lib/bench-json.ts';
import { breakdown } from './lib/heap-snapshot.ts';
import { startBenchNats } from './lib/nats-server.ts';
import { bus, devstack, SUT_ROOT } from './lib/sut.ts';

const { values } = parseArgs({
  options: {
    idleSeconds: { type: 'string', default: '10' },
    service: { type: 'string', default: 'watcher' },
    /** Where the heap snapshot is written (default a temporary directory). */
    keep: { type: 'string' },
  },
});
const id = randomBytes(4).toString('hex');
const dir = mkdtempSync(join(tmpdir(), `po-bench-mem-${id}-`));
const snapDir = values.keep ?? dir;
const databaseUrl = `postgres://root@127.0.0.1:5432/po_bench_mem_${id}`;
const busPrefix = `m${id}`;

await devstack.prepareDatabase(databaseUrl);
const nats = await startBenchNats();
const nc = await bus.connectNats({ servers: nats.url, name: 'bench-mem' });
await bus.provision(nc, busPrefix);
const sim = await startKubeSim({
  kubeconfigPath: join(dir, 'kubeconfig'),
  namespaces: ['default', 'pipelines'],
  workDir: dir,
  mode: 'fast',
});
const system = await devstack.startSystem({
  databaseUrl,
  natsUrl: nats.url,
  busPrefix,
  kubeconfigPath: join(dir, 'kubeconfig'),
  namespace: 'pipelines',
  devApiKey: `bench-${randomBytes(8).toString('hex')}`,
  output: { dir },
  logLevel: 'warn',
  env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapDir}` },
});

const status = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? Number.NaN);
  const mib = (n: number) => +(n / 1024).toFixed(1);
  return {
    rss: mib(kb('VmRSS')),
    anon: mib(kb('RssAnon')),
    file: mib(kb('RssFile')),
    shmem: mib(kb('RssShmem')),
  };
};

try {
  await new Promise((r) => setTimeout(r, Number(values.idleSeconds) * 1000));
  const load1m = loadavg()[0] ?? Number.NaN;
  const rssMiB = Object.fromEntries(
    [...system.services.values()].map((s) => [s.name, status(s.process.pid ?? 0)]),
  );
  const svc = [...system.services.values()].find((s) => s.name === values.service);
  if (!svc?.process.pid) throw new Error(`no service ${values.service}`);
  const before = new Set(readdirSync(snapDir));
  svc.process.kill('SIGUSR2');
  let file: string | undefined;
  let size = -1;
  for (let i = 0; i < 600 && !file; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const found = readdirSync(snapDir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!found) continue;
    // Written when it ends as a whole snapshot does and its size stopped changing.
    const text = readFileSync(join(snapDir, found), 'utf8');
    if (text.length > 0 && text.length === size && text.trimEnd().endsWith('}')) file = join(snapDir, found);
    size = text.length;
  }
  if (!file) throw new Error('no heap snapshot written');
  const heap = breakdown(readFileSync(file, 'utf8'));
  const result = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    sutRoot: SUT_ROOT,
    loadAverage1mBefore: +load1m.toFixed(2),
    idleSeconds: Number(values.idleSeconds),
    rssMiB,
    heapSnapshot: { service: values.service, file, ...heap },
  };
  console.log(JSON.stringify(result, null, 2));
  printBenchJson({
    bench: 'idle-memory',
    metrics: {
      ...Object.fromEntries(Object.entries(rssMiB).map(([k, v]) => [`rssMiB.${k}`, v.rss])),
      ...Object.fromEntries(Object.entries(rssMiB).map(([k, v]) => [`anonMiB.${k}`, v.anon])),
      [`heapMiB.${values.service}`]: heap.totalMiB,
    },
    details: result,
  });
} finally {
  await system.stop();
  await sim.stop();
  await bus.deleteStreams(nc, busPrefix);
  await nc.close();
  await nats.stop();
  await devstack.dropDatabase(databaseUrl);
}
