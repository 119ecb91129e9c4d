/**
 * Issue 14's goals, checked round by round against what bench/compare.sh collected: a goal is met
 * when it holds in every round (the issue asks for three comparison runs), a ratio goal compares B
 * with A of the same round, and a goal that holds only under a condition (latency "while the system
 * is at most half busy") counts only the rounds where the condition held.
 */
import { parseBenchJson, type Run } from './compare-table.ts';

type Op = '<=' | '>=';

export interface Goal {
  goal: string;
  bench: string;
  /** A metric name; one ending in `.` stands for every metric with that prefix (one row each). */
  metric: string;
  /** `ratio`: B / A of the same round; `value`: B's own figure. */
  test: 'ratio' | 'value';
  op: Op;
  threshold: number;
  /** A condition on B's run for the round to count (e.g. the machine at most half busy). */
  when?: { metric: string; op: Op; threshold: number };
}

export const ISSUE_14_GOALS: Goal[] = [
  {
    goal: '1 CPU per pipeline ≤ ¼',
    bench: 'end-to-end',
    metric: 'systemCpuMsPerPipelineExcludingKubeSim',
    test: 'ratio',
    op: '<=',
    threshold: 0.25,
  },
  {
    goal: '1 pipelines/s at saturation ≥ 4×',
    bench: 'end-to-end',
    metric: 'completedPerSecond',
    test: 'ratio',
    op: '>=',
    threshold: 4,
    when: { metric: 'saturated', op: '>=', threshold: 1 },
  },
  ...(
    [
      ['msFromRequestTo.jobCreated.p50', 25],
      ['msFromRequestTo.jobCreated.p99', 100],
      ['msFromFinishedTo.jobDeleted.p50', 100],
    ] as const
  ).map(
    ([metric, threshold]): Goal => ({
      goal: '2 latency at ≤ half busy',
      bench: 'end-to-end',
      metric,
      test: 'value',
      op: '<=',
      threshold,
      when: { metric: 'machineBusyShare', op: '<=', threshold: 0.5 },
    }),
  ),
  {
    goal: '3 gateway ≥ ½ pgbench',
    bench: 'gateway-load',
    metric: 'gatewayToPgbench',
    test: 'value',
    op: '>=',
    threshold: 0.5,
  },
  {
    goal: '3 gateway p99 at ⅓ saturation',
    bench: 'gateway-load',
    metric: 'thirdOfSaturation.p99Ms',
    test: 'value',
    op: '<=',
    threshold: 50,
  },
  { goal: '4 idle RSS', bench: 'idle-memory', metric: 'rssMiB.', test: 'value', op: '<=', threshold: 80 },
  {
    goal: '5 watcher RSS at 10,000',
    bench: 'scale',
    metric: 'maxWatcherRssMiB',
    test: 'value',
    op: '<=',
    threshold: 300,
    when: { metric: 'running', op: '>=', threshold: 10_000 },
  },
  {
    goal: '5 status → DB p99',
    bench: 'scale',
    metric: 'statusToDbMs.p99',
    test: 'value',
    op: '<=',
    threshold: 250,
    when: { metric: 'running', op: '>=', threshold: 10_000 },
  },
  {
    goal: '6 requests vs seed ≥ 10×',
    bench: 'seed-design',
    metric: 'seedRequestsPerOurs',
    test: 'value',
    op: '>=',
    threshold: 10,
  },
  {
    goal: '6 memory vs seed ≤ ⅕',
    bench: 'seed-design',
    metric: 'oursRssPerSeed',
    test: 'value',
    op: '<=',
    threshold: 0.2,
  },
];

export interface GoalRound {
  round: number;
  value: number;
  /** undefined: the round's condition (`when`) did not hold, so it does not count. */
  met: boolean | undefined;
}

export interface GoalResult {
  goal: string;
  bench: string;
  metric: string;
  test: Goal['test'];
  condition: string;
  rounds: GoalRound[];
  /** Rounds that counted, and how many of them met the goal. */
  counted: number;
  metIn: number;
}

const holds = (value: number, op: Op, threshold: number) =>
  op === '<=' ? value <= threshold : value >= threshold;

/** Each goal (a prefix goal once per matching metric) with its value and verdict in every round. */
export function evaluateGoals(runs: Run[], goals: Goal[] = ISSUE_14_GOALS): GoalResult[] {
  // round -> side -> bench -> metrics
  const byRound = new Map<
    number,
    { A: Map<string, Record<string, number>>; B: Map<string, Record<string, number>> }
  >();
  for (const run of runs) {
    const result = parseBenchJson(run.output);
    if (!result) continue;
    const round = byRound.get(run.round) ?? { A: new Map(), B: new Map() };
    round[run.side].set(result.bench, result.metrics);
    byRound.set(run.round, round);
  }
  const rounds = [...byRound.keys()].sort((x, y) => x - y);
  const results: GoalResult[] = [];
  for (const g of goals) {
    const names = new Set<string>();
    for (const r of byRound.values())
      for (const name of Object.keys(r.B.get(g.bench) ?? {}))
        if (g.metric.endsWith('.') ? name.startsWith(g.metric) : name === g.metric) names.add(name);
    for (const metric of names) {
      const perRound: GoalRound[] = [];
      for (const round of rounds) {
        const sides = byRound.get(round);
        const b = sides?.B.get(g.bench);
        const a = sides?.A.get(g.bench);
        const bv = b?.[metric];
        if (bv === undefined) continue;
        const av = a?.[metric];
        if (g.test === 'ratio' && (av === undefined || av === 0)) continue;
        const value = g.test === 'ratio' ? bv / (av as number) : bv;
        const cond = g.when ? b?.[g.when.metric] : undefined;
        const counts = !g.when || (cond !== undefined && holds(cond, g.when.op, g.when.threshold));
        perRound.push({ round, value, met: counts ? holds(value, g.op, g.threshold) : undefined });
      }
      const counted = perRound.filter((r) => r.met !== undefined);
      results.push({
        goal: g.goal,
        bench: g.bench,
        metric,
        test: g.test,
        condition: `${g.test === 'ratio' ? 'B/A' : 'B'} ${g.op} ${g.threshold}${g.when ? ` when ${g.when.metric} ${g.when.op} ${g.when.threshold}` : ''}`,
        rounds: perRound,
        counted: counted.length,
        metIn: counted.filter((r) => r.met).length,
      });
    }
  }
  return results;
}

const fmt = (n: number) =>
  Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);

/** A Markdown table: goal, bench and metric, condition, each round's figure, verdict. */
export function formatGoals(results: GoalResult[]): string {
  const lines = ['| goal | bench: metric | condition | per round | met |', '|---|---|---|---|---|'];
  for (const r of results) {
    const rounds = r.rounds.map(
      (x) => `${fmt(x.value)}${x.met === undefined ? ' (n/a)' : x.met ? ' ✓' : ' ✗'}`,
    );
    const verdict =
      r.counted === 0
        ? 'not measured'
        : r.metIn === r.counted
          ? `met in ${r.metIn} of ${r.counted}`
          : `not met (${r.metIn} of ${r.counted})`;
    lines.push(
      `| ${r.goal} | ${r.bench}: ${r.metric} | ${r.condition} | ${rounds.join(', ')} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}
