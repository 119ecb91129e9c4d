import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RESTART_POLICY, nextRestartDelay } from './backoff.ts';

const cases: [name: string, previousMs: number, upMs: number, want: number][] = [
  ['first restart', 0, 100, 500],
  ['crashing again soon: doubles', 500, 100, 1000],
  ['keeps doubling', 8000, 2000, 16_000],
  ['capped at 30 s', 16_000, 100, 30_000],
  ['stays capped', 30_000, 100, 30_000],
  ['up for a minute: starts over', 30_000, 60_000, 500],
  ['up a little less than a minute: still backing off', 1000, 59_999, 2000],
];

for (const [name, previousMs, upMs, want] of cases) {
  test(`nextRestartDelay: ${name}`, () => {
    assert.equal(nextRestartDelay(DEFAULT_RESTART_POLICY, previousMs, upMs), want);
  });
}
