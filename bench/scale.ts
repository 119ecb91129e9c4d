/**
 * Scale (issue 14, goal 5): RUNNING pipelines running at once, all tracked by one watcher through
 * its informers, then FINISH of them ended at FINISH_RATE/s.
 *   - setup (not a goal, reported): RUNNING pipelines go in through the gateway and reach Running
 *     through the whole system (bench/lib/fleet.ts: kube-sim fast mode, pods of an hour);
 *   - the watcher's RSS once all are Running (and again SETTLE seconds later, a resync included),
 *     and every service's RSS;
 *   - Kubernetes status change → database: the bench ends a pod (KubeSim.finishPod: its container
 *     terminates, the Job controller completes the Job) and takes the time; the pipeline's
 *     finished_at (Postgres `now()` of the watcher's transition) minus that time, p50/p99/max, while
 *     the pods end at FINISH_RATE/s (the log-collector and the job-runner capture and delete meanwhile).
 * Run: pnpm exec node bench/scale.ts [--running 2000] [--finish 1000] [--finishRate 100]
 *   [--settleSeconds 12] [--setupRate 50] [--concurrency 32] [--node-options='...'] [--cpu-prof DIR] [--heap-snapshot DIR]
 * The documented run is --running 10000 (setup takes minutes on 2 cores). Prints a JSON summary,
 * then one `BENCH_JSON {...}` line (bench/lib/bench-json.ts).
 */
import { readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { flatten, printBenchJson } from './lib/bench-json.ts';
import { NAMESPACE, startFleet, waitUntil } from './lib/fleet.ts';
import { cpuOf, peakRssMiB, rssMiB } from './lib/proc.ts';
import { dueBy, summarize } from './lib/stats.ts';
import { SUT_ROOT } from './lib/sut.ts';

const { values } = parseArgs({
  options: {
    running: { type: 'string', default: '2000' },
    finish: { type: 'string' },
    finishRate: { type: 'string', default: '100' },
    settleSeconds: { type: 'string', default: '12' },
    concurrency: { type: 'string', default: '32' },
    /** Extra NODE_OPTIONS for every service (e.g. --max-semi-space-size=16), for A/B of V8 sizing. */
    'node-options': { type: 'string', default: '' },
    /** Pipelines submitted per second in the setup (0: all at once). */
    setupRate: { type: 'string', default: '50' },
    'cpu-prof': { type: 'string' },
    /** At the end (after the finishing phase), write a heap snapshot of the watcher into this directory. */
    'heap-snapshot': { type: 'string' },
  },
});
const RUNNING = Number(values.running);
const FINISH = Math.min(RUNNING, Number(values.finish ?? Math.min(RUNNING, 1000)));
const FINISH_RATE = Number(values.finishRate);
const load1m = loadavg()[0] ?? Number.NaN;
const progress = (msg: string) => process.stderr.write(`[scale] ${new Date().toISOString()} ${msg}\n`);

const nodeOptions = [
  ...(values['node-options'] ? [values['node-options']] : []),
  ...(values['cpu-prof'] ? [`--cpu-prof --cpu-prof-dir=${values['cpu-prof']}`] : []),
  ...(values['heap-snapshot']
    ? [`--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${values['heap-snapshot']}`]
    : []),
].join(' ');
const fleet = await startFleet({
  capacity: RUNNING,
  env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {},
});
const { sim, system } = fleet;
const pidOf = (name: 'watcher') => system.services.get(name)?.process.pid ?? 0;
const rssOfServices = () =>
  Object.fromEntries(
    [...system.services.values()].map((s) => [s.name, +rssMiB(s.process.pid ?? 0).toFixed(1)]),
  );
/** Each service's peak RSS so far (VmHWM), and how it ended if it is gone (a crash: no RSS to read). */
const peakOfServices = () =>
  Object.fromEntries(
    [...system.services.values()].map((s) => [
      s.name,
      s.process.exitCode !== null || s.process.signalCode !== null
        ? `exited (${s.process.exitCode ?? s.process.signalCode})`
        : +peakRssMiB(s.process.pid ?? 0).toFixed(1),
    ]),
  );
const kubeTotal = () => [...sim.requests.values()].reduce((a, b) => a + b, 0);
const now = () => performance.timeOrigin + performance.now();

try {
  const idleRssMiB = rssOfServices();
  const setupStart = performance.now();
  progress(`submitting ${RUNNING}`);
  const submitting = fleet.submit(RUNNING, Number(values.setupRate), Number(values.concurrency));
  let lastLog = 0;
  let running = 0;
  await waitUntil(
    `${RUNNING} pipelines Running`,
    async () => {
      const s = await fleet.statuses();
      running = s.Running ?? 0;
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        progress(`${JSON.stringify(s)}; watcher RSS ${rssMiB(pidOf('watcher')).toFixed(0)} MiB`);
      }
      return running >= RUNNING;
    },
    30 * 60_000,
    1000,
  );
  const accepted = await submitting;
  const setupSeconds = (performance.now() - setupStart) / 1000;
  const watcherRssAllRunningMiB = +rssMiB(pidOf('watcher')).toFixed(1);
  // 2 = one list per informer; more = relists (a lost watch, a lost leadership term).
  const watcherAllRunning = await fleet.watcherMetrics();
  const watcherListsInSetup = watcherAllRunning.lists;
  progress(
    `all ${running} Running after ${setupSeconds.toFixed(0)} s; watcher RSS ${watcherRssAllRunningMiB} MiB`,
  );
  await new Promise((r) => setTimeout(r, Number(values.settleSeconds) * 1000));
  const rssAllRunningMiB = rssOfServices();
  const benchRssAllRunningMiB = +rssMiB(process.pid).toFixed(1);

  const pods = (await fleet.runningPods()).slice(0, FINISH);
  if (pods.length < FINISH) throw new Error(`only ${pods.length} pods running, wanted ${FINISH}`);
  const endedAt = new Map<string, number>();
  const kube0 = kubeTotal();
  const watcherCpu0 = cpuOf(pidOf('watcher'));
  progress(`ending ${FINISH} pods at ${FINISH_RATE}/s`);
  const start = performance.now();
  for (let i = 0; i < FINISH; ) {
    const due = dueBy(performance.now() - start, FINISH_RATE, FINISH);
    for (; i < due; i++) {
      const pod = pods[i];
      if (!pod) continue;
      if (sim.finishPod(NAMESPACE, pod.name)) endedAt.set(pod.pipelineId, now());
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const finishSeconds = (performance.now() - start) / 1000;
  const ids = [...endedAt.keys()];
  const finishedRows = async () =>
    fleet.query<{ id: string; t: string | null; status: string }>(
      'select id, extract(epoch from finished_at) * 1000 as t, status from pipelines where id = any($1::uuid[])',
      [ids],
    );
  await waitUntil(
    `${ids.length} ended pipelines finished in the database`,
    async () => (await finishedRows()).every((r) => r.t !== null),
    10 * 60_000,
    250,
  );
  const watcherCpuMsPerFinished = ((cpuOf(pidOf('watcher')) - watcherCpu0) * 1000) / ids.length;
  const kubeRequestsDuringFinish = kubeTotal() - kube0;
  const rssAfterFinishMiB = rssOfServices();
  const peakRssMiBAtEnd = peakOfServices();
  const heapSnapshot = values['heap-snapshot'] ? await snapshotWatcher(values['heap-snapshot']) : undefined;
  const rows = await finishedRows();
  const latencies = rows.flatMap((r) => {
    const ended = endedAt.get(r.id);
    return r.t !== null && ended !== undefined ? [Number(r.t) - ended] : [];
  });
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const statusToDbMs = summarize(latencies);

  const result = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    sutRoot: SUT_ROOT,
    loadAverage1mBefore: +load1m.toFixed(2),
    running: RUNNING,
    accepted,
    setupSeconds: +setupSeconds.toFixed(1),
    setupRate: Number(values.setupRate),
    nodeOptions,
    watcherListsInSetup,
    watcherRssAllRunningMiB,
    watcherHeapAllRunning: watcherAllRunning,
    rssAllRunningMiB,
    benchProcessRssAllRunningMiB: benchRssAllRunningMiB,
    idleRssMiB,
    finished: ids.length,
    finishRate: FINISH_RATE,
    achievedFinishRate: +(ids.length / finishSeconds).toFixed(1),
    finishedStatuses: statuses,
    statusToDbMs,
    watcherCpuMsPerFinished: +watcherCpuMsPerFinished.toFixed(2),
    kubeRequestsDuringFinish,
    rssAfterFinishMiB,
    peakRssMiBAtEnd,
    heapSnapshot,
  };
  console.log(JSON.stringify(result, null, 2));
  printBenchJson({
    bench: 'scale',
    metrics: flatten({
      running: RUNNING,
      setupSeconds: result.setupSeconds,
      watcherListsInSetup,
      watcherHeapAllRunning: {
        totalMiB: watcherAllRunning.heapTotalMiB,
        usedMiB: watcherAllRunning.heapUsedMiB,
        externalMiB: watcherAllRunning.externalMiB,
      },
      watcherRssAllRunningMiB,
      maxWatcherRssMiB: Math.max(watcherRssAllRunningMiB, rssAllRunningMiB.watcher ?? 0),
      statusToDbMs: { p50: statusToDbMs.p50, p99: statusToDbMs.p99, max: statusToDbMs.max },
      achievedFinishRate: result.achievedFinishRate,
      watcherCpuMsPerFinished: result.watcherCpuMsPerFinished,
      rssAllRunningMiB,
      rssAfterFinishMiB,
    }),
    details: result,
  });
} finally {
  await fleet.stop();
}

/** SIGUSR2 to the watcher; resolves with the snapshot's path once its size stops changing. */
async function snapshotWatcher(dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pidOf('watcher'), 'SIGUSR2');
  let size = -1;
  for (let i = 0; i < 1200; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const found = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!found) continue;
    const now = statSync(join(dir, found)).size;
    if (now > 0 && now === size) return join(dir, found);
    size = now;
  }
  throw new Error('no heap snapshot written');
}
