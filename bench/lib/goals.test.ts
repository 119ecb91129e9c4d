import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Run } from './compare-table.ts';
import { evaluateGoals, formatGoals, type Goal } from './goals.ts';

const run = (side: 'A' | 'B', round: number, bench: string, metrics: Record<string, number>): Run => ({
  side,
  round,
  output: `prose\nBENCH_JSON ${JSON.stringify({ bench, metrics })}\n`,
});

const cpu: Goal = { goal: '1', bench: 'e2e', metric: 'cpu', test: 'ratio', op: '<=', threshold: 0.25 };
const latency: Goal = {
  goal: '2',
  bench: 'e2e',
  metric: 'p50',
  test: 'value',
  op: '<=',
  threshold: 25,
  when: { metric: 'busy', op: '<=', threshold: 0.5 },
};
const rss: Goal = { goal: '4', bench: 'mem', metric: 'rssMiB.', test: 'value', op: '<=', threshold: 80 };

test('a ratio goal compares B with A of the same round, and is met only when every round meets it', () => {
  const runs = [
    run('A', 1, 'e2e', { cpu: 40 }),
    run('B', 1, 'e2e', { cpu: 9 }),
    run('A', 2, 'e2e', { cpu: 20 }),
    run('B', 2, 'e2e', { cpu: 9 }),
  ];
  const [r] = evaluateGoals(runs, [cpu]);
  assert.deepEqual(
    r?.rounds.map((x) => [x.round, x.value, x.met]),
    [
      [1, 0.225, true],
      [2, 0.45, false],
    ],
  );
  assert.equal(r?.metIn, 1);
  assert.match(
    formatGoals(evaluateGoals(runs, [cpu])),
    /\| 1 \| e2e: cpu \| B\/A <= 0.25 \| 0.23 ✓, 0.45 ✗ \| not met \(1 of 2\) \|/,
  );
});

test('a round whose condition does not hold does not count either way', () => {
  const runs = [
    run('B', 1, 'e2e', { p50: 20, busy: 0.3 }),
    run('B', 2, 'e2e', { p50: 90, busy: 0.8 }),
    run('B', 3, 'e2e', { p50: 24, busy: 0.5 }),
  ];
  const [r] = evaluateGoals(runs, [latency]);
  assert.deepEqual(
    r?.rounds.map((x) => x.met),
    [true, undefined, true],
  );
  assert.equal(r?.counted, 2);
  assert.match(
    formatGoals(evaluateGoals(runs, [latency])),
    /20\.0 ✓, 90\.0 \(n\/a\), 24\.0 ✓ \| met in 2 of 2 \|/,
  );
  // Without one round under the condition the goal is not measured, not met.
  assert.match(formatGoals(evaluateGoals([runs[1] as Run], [latency])), /not measured/);
});

test('a prefix goal gives one row per metric; a missing or failed run is left out', () => {
  const runs = [
    run('B', 1, 'mem', { 'rssMiB.gateway': 70, 'rssMiB.watcher': 140, 'anonMiB.gateway': 30 }),
    { side: 'B' as const, round: 2, output: 'crashed' },
  ];
  const results = evaluateGoals(runs, [rss, cpu]);
  assert.deepEqual(
    results.map((r) => [r.metric, r.metIn, r.counted]),
    [
      ['rssMiB.gateway', 1, 1],
      ['rssMiB.watcher', 0, 1],
    ],
  );
});
