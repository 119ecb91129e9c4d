/**
 * The pure core of bench/compare.ts: BENCH_JSON lines of the A (base) and B (head) runs of each
 * benchmark, several rounds each, turned into one row per benchmark and metric with the median of
 * each side and the ratio B/A.
 */
import { BENCH_JSON_PREFIX, type BenchResult } from './bench-json.ts';

export interface Run {
  side: 'A' | 'B';
  round: number;
  /** The bench's whole output; its last BENCH_JSON line is the result. */
  output: string;
}

export interface Row {
  bench: string;
  metric: string;
  a: number[];
  b: number[];
  medianA: number;
  medianB: number;
  /** medianB / medianA; NaN when A is 0 or a side has no figure. */
  ratio: number;
}

/** The last BENCH_JSON line of an output, or undefined (a bench that failed prints none). */
export function parseBenchJson(output: string): BenchResult | undefined {
  const line = output
    .split('\n')
    .filter((l) => l.startsWith(BENCH_JSON_PREFIX))
    .at(-1);
  if (!line) return undefined;
  const parsed = JSON.parse(line.slice(BENCH_JSON_PREFIX.length)) as BenchResult;
  return typeof parsed.bench === 'string' && parsed.metrics ? parsed : undefined;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** One row per bench and metric seen on either side, in first-seen order. */
export function compareRuns(runs: Run[]): Row[] {
  const rows = new Map<string, Row>();
  for (const run of [...runs].sort((x, y) => x.round - y.round)) {
    const result = parseBenchJson(run.output);
    if (!result) continue;
    for (const [metric, value] of Object.entries(result.metrics)) {
      const key = `${result.bench}\u0000${metric}`;
      const row = rows.get(key) ?? {
        bench: result.bench,
        metric,
        a: [],
        b: [],
        medianA: Number.NaN,
        medianB: Number.NaN,
        ratio: Number.NaN,
      };
      (run.side === 'A' ? row.a : row.b).push(value);
      rows.set(key, row);
    }
  }
  for (const row of rows.values()) {
    row.medianA = median(row.a);
    row.medianB = median(row.b);
    row.ratio = row.medianA === 0 ? Number.NaN : row.medianB / row.medianA;
  }
  return [...rows.values()];
}

const num = (n: number) =>
  Number.isNaN(n)
    ? 'n/a'
    : Math.abs(n) >= 100
      ? n.toFixed(0)
      : Math.abs(n) >= 10
        ? n.toFixed(1)
        : n.toFixed(2);

/** A Markdown table: bench, metric, A median (rounds), B median (rounds), B/A. */
export function formatTable(rows: Row[]): string {
  const lines = [
    '| bench | metric | A (median; rounds) | B (median; rounds) | B/A |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.bench} | ${r.metric} | ${num(r.medianA)} (${r.a.map(num).join(', ')}) | ${num(r.medianB)} (${r.b.map(num).join(', ')}) | ${Number.isNaN(r.ratio) ? 'n/a' : r.ratio.toFixed(2)} |`,
    );
  return lines.join('\n');
}
