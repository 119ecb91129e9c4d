/**
 * Against the seed's design (issue 14, goal 6): RUNNING pipelines running (through the whole
 * system, bench/lib/fleet.ts), then two trackers of the same pipelines, one after the other, each
 * alone against kube-sim (the other services are stopped first, so every Kubernetes request in a
 * window is the tracker's):
 *   - ours: the watcher, started afresh: one leader-elected process, two informers (Jobs and pods
 *     of the managed label) and a resync against the database;
 *   - the seed's: bench/lib/seed-tracker.ts, one watch per Job plus a poll of each Job's status
 *     every POLL seconds (the seed's monitor_pipeline_job / watch_job_status).
 * For each, over WINDOW seconds from its process's start: kube-sim's request count (by kind) and,
 * at the end, the process's RSS, also less its floor: its RSS tracking nothing (ours: the watcher
 * after start-up, before any pipeline; the seed's: the same harness given no Jobs, over the same window).
 * Goal: ours ≥ 10× fewer requests and ≤ 1/5 of the memory.
 * Run: pnpm exec node bench/seed-design.ts [--running 1000] [--window 60] [--pollSeconds 10]
 *   [--node-options='--max-semi-space-size=16']
 * Requests are reported for the whole window (start-up included) and for its second half (steady).
 * Prints a JSON summary, then one `BENCH_JSON {...}` line (bench/lib/bench-json.ts).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { flatten, printBenchJson } from './lib/bench-json.ts';
import { NAMESPACE, startFleet, waitUntil } from './lib/fleet.ts';
import { rssMiB } from './lib/proc.ts';
import { SUT_ROOT } from './lib/sut.ts';

const { values } = parseArgs({
  options: {
    running: { type: 'string', default: '1000' },
    window: { type: 'string', default: '60' },
    pollSeconds: { type: 'string', default: '10' },
    /** NODE_OPTIONS for both trackers (the services and the seed's harness), for A/B of V8 sizing. */
    'node-options': { type: 'string', default: '' },
  },
});
const RUNNING = Number(values.running);
const WINDOW_MS = Number(values.window) * 1000;
const load1m = loadavg()[0] ?? Number.NaN;
const progress = (msg: string) => process.stderr.write(`[seed-design] ${new Date().toISOString()} ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NODE_OPTIONS = values['node-options'] ?? '';
const fleet = await startFleet({ capacity: RUNNING, env: NODE_OPTIONS ? { NODE_OPTIONS } : {} });
const { sim, system } = fleet;
const snapshot = () => new Map(sim.requests);
const diff = (a: Map<string, number>, b: Map<string, number>) => {
  const out: Record<string, number> = {};
  for (const [k, v] of b) if (v - (a.get(k) ?? 0) > 0) out[k] = v - (a.get(k) ?? 0);
  return out;
};
const total = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);

interface Side {
  requests: Record<string, number>;
  requestsTotal: number;
  /** Requests in the window's second half: the steady rate once started up. */
  requestsSecondHalf: number;
  rssMiB: number;
}

try {
  // Ours with nothing to track: the watcher's RSS after start-up, before any pipeline.
  await sleep(3000);
  const oursFloorMiB = +rssMiB(system.services.get('watcher')?.process.pid ?? 0).toFixed(1);
  progress(`submitting ${RUNNING}`);
  const submitting = fleet.submit(RUNNING, 0);
  await waitUntil(
    `${RUNNING} pipelines Running`,
    async () => ((await fleet.statuses()).Running ?? 0) >= RUNNING,
    20 * 60_000,
    1000,
  );
  await submitting;
  progress(`all ${RUNNING} Running; stopping every service`);
  // Nobody else talks to kube-sim from here on: each window's requests are its tracker's.
  for (const name of ['gateway', 'scheduler', 'job-runner', 'log-collector', 'watcher'] as const)
    await system.kill(name);
  const jobNames = (
    await fleet.query<{ name: string }>(
      `select 'pipeline-' || id || '-' || attempt as name from pipelines where status = 'Running'`,
    )
  ).map((r) => r.name);
  const namesFile = join(fleet.dir, 'job-names.txt');
  writeFileSync(namesFile, `${jobNames.join('\n')}\n`);

  // Ours: the watcher, started afresh, over WINDOW from its start.
  progress('ours: the watcher, afresh');
  const ours0 = snapshot();
  const oursStart = performance.now();
  await system.start('watcher');
  await sleep(Math.max(0, WINDOW_MS / 2 - (performance.now() - oursStart)));
  const oursHalf = snapshot();
  await sleep(Math.max(0, WINDOW_MS - (performance.now() - oursStart)));
  const oursEnd = snapshot();
  const oursRequests = diff(ours0, oursEnd);
  const ours: Side = {
    requests: oursRequests,
    requestsTotal: total(oursRequests),
    requestsSecondHalf: total(diff(oursHalf, oursEnd)),
    rssMiB: +rssMiB(system.services.get('watcher')?.process.pid ?? 0).toFixed(1),
  };
  await system.kill('watcher');

  // The seed's: one process, a watch and a poll per Job; first with no Jobs (its floor), then all.
  const runSeed = async (file: string, expect: number): Promise<Side> => {
    const before = snapshot();
    const start = performance.now();
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'lib/seed-tracker.ts'),
        fleet.sim.kubeconfigPath ?? '',
        NAMESPACE,
        file,
        values.pollSeconds ?? '10',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS } },
    );
    let syncedAt = Number.NaN;
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('synced')) syncedAt = performance.now() - start;
    });
    await sleep(WINDOW_MS / 2);
    const half = snapshot();
    await sleep(Math.max(0, WINDOW_MS - (performance.now() - start)));
    const rss = +rssMiB(child.pid ?? 0).toFixed(1);
    const end = snapshot();
    const requests = diff(before, end);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (expect > 0 && Number.isNaN(syncedAt))
      progress(`seed tracker: not every watch listed within the window`);
    return {
      requests,
      requestsTotal: total(requests),
      requestsSecondHalf: total(diff(half, end)),
      rssMiB: rss,
      ...(expect > 0 ? { syncedMs: Math.round(syncedAt) } : {}),
    };
  };
  progress('seed: empty');
  const emptyFile = join(fleet.dir, 'no-jobs.txt');
  writeFileSync(emptyFile, '');
  const seedFloor = await runSeed(emptyFile, 0);
  progress(`seed: ${jobNames.length} Jobs`);
  const seed = await runSeed(namesFile, jobNames.length);

  const stillRunning = (await fleet.statuses()).Running ?? 0;
  const result = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    sutRoot: SUT_ROOT,
    loadAverage1mBefore: +load1m.toFixed(2),
    running: RUNNING,
    tracked: jobNames.length,
    stillRunningAtEnd: stillRunning,
    windowSeconds: WINDOW_MS / 1000,
    pollSeconds: Number(values.pollSeconds),
    nodeOptions: NODE_OPTIONS,
    ours,
    seed,
    seedFloor,
    oursFloorMiB,
    seedRequestsPerOurs: +(seed.requestsTotal / Math.max(1, ours.requestsTotal)).toFixed(1),
    seedRequestsPerOursSecondHalf: +(seed.requestsSecondHalf / Math.max(1, ours.requestsSecondHalf)).toFixed(
      1,
    ),
    oursRssPerSeed: +(ours.rssMiB / seed.rssMiB).toFixed(3),
    oursRssAboveFloorMiB: +(ours.rssMiB - oursFloorMiB).toFixed(1),
    seedRssAboveFloorMiB: +(seed.rssMiB - seedFloor.rssMiB).toFixed(1),
    oursPerSeedAboveFloor: +((ours.rssMiB - oursFloorMiB) / (seed.rssMiB - seedFloor.rssMiB)).toFixed(3),
  };
  console.log(JSON.stringify(result, null, 2));
  printBenchJson({
    bench: 'seed-design',
    metrics: flatten({
      tracked: result.tracked,
      requests: { ours: ours.requestsTotal, seed: seed.requestsTotal },
      requestsSecondHalf: { ours: ours.requestsSecondHalf, seed: seed.requestsSecondHalf },
      seedRequestsPerOurs: result.seedRequestsPerOurs,
      seedRequestsPerOursSecondHalf: result.seedRequestsPerOursSecondHalf,
      rssMiB: { ours: ours.rssMiB, seed: seed.rssMiB, oursFloor: oursFloorMiB, seedFloor: seedFloor.rssMiB },
      rssAboveFloorMiB: { ours: result.oursRssAboveFloorMiB, seed: result.seedRssAboveFloorMiB },
      oursRssPerSeed: result.oursRssPerSeed,
      oursPerSeedAboveFloor: result.oursPerSeedAboveFloor,
    }),
    details: result,
  });
} finally {
  await fleet.stop();
}
