import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueBy, percentile, summarize } from './stats.ts';

test('percentile takes the nearest rank of the sorted values', () => {
  const cases: [number[], number, number][] = [
    [[], 50, Number.NaN],
    [[7], 99, 7],
    [[3, 1, 2], 50, 2],
    [[...Array(100).keys()].map((i) => i + 1), 99, 100],
    [[...Array(100).keys()].map((i) => i + 1), 50, 51],
    [[5, 1], 0, 1],
  ];
  for (const [xs, p, want] of cases) assert.deepEqual(percentile(xs, p), want, `${xs} p${p}`);
});

test('summarize gives count, p50, p99 and max rounded to 0.1', () => {
  assert.deepEqual(summarize([1.04, 2.06, 300.55]), { n: 3, p50: 2.1, p99: 300.6, max: 300.6 });
  assert.deepEqual(summarize([]), { n: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN });
});

test('dueBy paces an open loop: late wake-ups catch up, never past the total', () => {
  const cases: [number, number, number, number][] = [
    [-5, 100, 10, 0],
    [0, 100, 10, 1],
    [9, 100, 10, 1],
    [10, 100, 10, 2],
    [55, 100, 1000, 6],
    [10_000, 100, 10, 10],
    [1000, 0.5, 10, 1],
  ];
  for (const [ms, rate, total, want] of cases)
    assert.equal(dueBy(ms, rate, total), want, `${ms} ms at ${rate}/s`);
});
