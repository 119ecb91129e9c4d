/** Small pure helpers the benches share: percentiles and open-loop pacing. */

/** The p-th percentile (nearest rank, 0 ≤ p ≤ 100) of xs; NaN when xs is empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Count, p50, p99 and max of xs, rounded to 0.1 (NaN for an empty list). */
export function summarize(xs: readonly number[]): Summary {
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: xs.length,
    p50: r(percentile(xs, 50)),
    p99: r(percentile(xs, 99)),
    max: xs.length === 0 ? Number.NaN : r(xs.reduce((a, b) => Math.max(a, b), -Infinity)),
  };
}

/**
 * Open loop at `ratePerSecond`: how many of `total` actions are due `elapsedMs` after the start
 * (the first at 0), so a loop that wakes late catches up instead of slowing the rate.
 */
export function dueBy(elapsedMs: number, ratePerSecond: number, total: number): number {
  if (elapsedMs < 0) return 0;
  return Math.min(total, Math.floor((elapsedMs * ratePerSecond) / 1000) + 1);
}
