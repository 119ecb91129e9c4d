/**
 * The one machine-readable line each bench prints last: `BENCH_JSON {"bench","metrics","details"}`.
 * `metrics` are flat numbers (what bench/compare.ts puts side by side); `details` anything else.
 */
export const BENCH_JSON_PREFIX = 'BENCH_JSON ';

export interface BenchResult {
  bench: string;
  metrics: Record<string, number>;
  details?: unknown;
}

export function printBenchJson(result: BenchResult): void {
  process.stdout.write(`${BENCH_JSON_PREFIX}${JSON.stringify(result)}\n`);
}

/** Flattens nested numbers into `a.b.c` keys (non-numbers are left out). */
export function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flatten(v as Record<string, unknown>, key));
  }
  return out;
}
