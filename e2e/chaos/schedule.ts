/**
 * The chaos suite's plan, drawn from one seed before anything runs: which pipelines are submitted
 * when and what each one's scenario is, and which faults strike when. Pure: the same seed gives
 * the same plan, so a failing run is replayed with CHAOS_SEED=<seed>.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { mersenne } from 'pure-rand/generator/mersenne';

export const SCENARIOS = [
  'succeed',
  'succeed-process',
  'fail',
  'evict',
  'timeout',
  'cancel',
  'restart',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** How often each scenario is drawn, out of the sum. */
const WEIGHTS: Record<Scenario, number> = {
  succeed: 40,
  'succeed-process': 6,
  fail: 12,
  evict: 8,
  timeout: 8,
  cancel: 13,
  restart: 13,
};

export const REPLICA_SERVICES = ['gateway', 'scheduler', 'job-runner', 'watcher', 'log-collector'] as const;
export type ReplicaService = (typeof REPLICA_SERVICES)[number];

export interface PlannedPipeline {
  index: number;
  scenario: Scenario;
  /** When it is submitted, from the start of the run. */
  atMs: number;
  /** How long its pod runs (fast mode) or sleeps (a real process). */
  durationMs: number;
  /** cancel: how long after submission the cancel is sent. */
  actAfterMs: number;
}

export type Fault =
  | { kind: 'kill'; service: ReplicaService; replica: number; downMs: number }
  | { kind: 'nats-restart'; downMs: number }
  | { kind: 'pg-terminate' }
  | { kind: 'kube-errors'; status: 429 | 500; rate: number; forMs: number }
  | { kind: 'watch-cut' }
  | { kind: 'watch-gone' }
  | { kind: 'kube-restart' };

export interface PlannedFault {
  atMs: number;
  fault: Fault;
}

export interface Plan {
  seed: number;
  pipelines: PlannedPipeline[];
  faults: PlannedFault[];
}

export interface PlanOptions {
  pipelines: number;
  /** Submissions are spread over this window; faults strike within it too. */
  windowMs: number;
  replicas: number;
  /** SIGKILLs of each replica of each service. */
  killsPerReplica: number;
  /** Other faults (NATS, Postgres, kube-sim), each kind this many times. */
  faultsPerKind: number;
}

export function plan(seed: number, o: PlanOptions): Plan {
  const rng = mersenne(seed);
  const int = (from: number, to: number) => uniformInt(rng, from, to);
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  const pick = (): Scenario => {
    let n = int(0, total - 1);
    for (const s of SCENARIOS) {
      n -= WEIGHTS[s];
      if (n < 0) return s;
    }
    return 'succeed';
  };

  const pipelines: PlannedPipeline[] = [];
  for (let index = 0; index < o.pipelines; index++) {
    const scenario = pick();
    pipelines.push({
      index,
      scenario,
      atMs: int(0, o.windowMs),
      durationMs: durationFor(scenario, int),
      actAfterMs: int(0, 3_000),
    });
  }
  pipelines.sort((a, b) => a.atMs - b.atMs || a.index - b.index);

  const faults: PlannedFault[] = [];
  const at = () => int(500, o.windowMs + 5_000);
  for (const service of REPLICA_SERVICES)
    for (let replica = 0; replica < o.replicas; replica++)
      for (let k = 0; k < o.killsPerReplica; k++)
        faults.push({ atMs: at(), fault: { kind: 'kill', service, replica, downMs: int(0, 3_000) } });
  for (let k = 0; k < o.faultsPerKind; k++) {
    faults.push({ atMs: at(), fault: { kind: 'nats-restart', downMs: int(200, 3_000) } });
    faults.push({ atMs: at(), fault: { kind: 'pg-terminate' } });
    faults.push({
      atMs: at(),
      fault: {
        kind: 'kube-errors',
        status: int(0, 1) === 0 ? 429 : 500,
        rate: int(2, 6) / 10,
        forMs: int(500, 3_000),
      },
    });
    faults.push({ atMs: at(), fault: { kind: 'watch-cut' } });
    faults.push({ atMs: at(), fault: { kind: 'watch-gone' } });
    faults.push({ atMs: at(), fault: { kind: 'kube-restart' } });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return { seed, pipelines, faults };
}

function durationFor(s: Scenario, int: (from: number, to: number) => number): number {
  switch (s) {
    case 'succeed':
    case 'fail':
    case 'restart':
      return int(50, 1_500);
    case 'succeed-process':
      return int(2_000, 5_000);
    case 'evict':
      // The replacement pod's run: the first one runs until the test evicts it.
      return int(50, 1_500);
    case 'timeout':
    case 'cancel':
      // Never ends by itself within the run.
      return 600_000;
  }
}

/** A one-line description of a fault, for the run's log. */
export function describe(f: Fault): string {
  switch (f.kind) {
    case 'kill':
      return `SIGKILL ${f.service}#${f.replica}, back after ${f.downMs} ms`;
    case 'nats-restart':
      return `NATS down for ${f.downMs} ms`;
    case 'pg-terminate':
      return 'pg_terminate_backend every connection';
    case 'kube-errors':
      return `kube-sim ${f.status}s on ${Math.round(f.rate * 100)}% of requests for ${f.forMs} ms`;
    case 'watch-cut':
      return 'kube-sim cuts every watch';
    case 'watch-gone':
      return 'kube-sim expires every watch (410 Gone)';
    case 'kube-restart':
      return 'kube-sim restarts (every connection dropped)';
  }
}
