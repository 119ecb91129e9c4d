import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRuns, formatTable, median, parseBenchJson } from './compare-table.ts';

const out = (metrics: Record<string, number>, bench = 'end-to-end') =>
  `some prose\n{"pretty": true}\nBENCH_JSON ${JSON.stringify({ bench, metrics })}\n`;

test('parseBenchJson takes the last BENCH_JSON line and ignores prose; none: undefined', () => {
  assert.deepEqual(parseBenchJson(`${out({ x: 1 })}${out({ x: 2 })}`)?.metrics, { x: 2 });
  assert.equal(parseBenchJson('Error: gateway not ready\n'), undefined);
});

test('median of odd, even and empty lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('compareRuns: per bench and metric, the median of each side and B/A', () => {
  const rows = compareRuns([
    { side: 'A', round: 1, output: out({ rate: 20, cpu: 90 }) },
    { side: 'B', round: 1, output: out({ rate: 80, cpu: 20 }) },
    { side: 'A', round: 2, output: out({ rate: 30, cpu: 100 }) },
    { side: 'B', round: 2, output: out({ rate: 100, cpu: 25 }) },
    { side: 'A', round: 3, output: out({ rate: 25, cpu: 0 }, 'admission') },
    { side: 'B', round: 3, output: 'crashed before its summary' },
  ]);
  const by = (bench: string, metric: string) => rows.find((r) => r.bench === bench && r.metric === metric);
  assert.deepEqual(
    { ...by('end-to-end', 'rate') },
    { bench: 'end-to-end', metric: 'rate', a: [20, 30], b: [80, 100], medianA: 25, medianB: 90, ratio: 3.6 },
  );
  assert.equal(by('end-to-end', 'cpu')?.ratio, 22.5 / 95);
  // A side without figures (the B run failed) or a zero A has no ratio.
  assert.ok(Number.isNaN(by('admission', 'rate')?.ratio));
  assert.ok(Number.isNaN(by('admission', 'cpu')?.ratio));
  const table = formatTable(rows);
  assert.match(table, /\| end-to-end \| rate \| 25\.0 \(20\.0, 30\.0\) \| 90\.0 \(80\.0, 100\) \| 3\.60 \|/);
  assert.match(table, /\| admission \| rate \| 25\.0 \(25\.0\) \| n\/a \(\) \| n\/a \|/);
});
