/**
 * Prints what bench/compare.sh collected in DIR: the machine, the load average before each run,
 * and per benchmark and metric the A (base) and B (head) medians over the rounds and B/A; then each
 * of issue 14's goals the runs measure, round by round.
 * Run: pnpm exec node bench/compare.ts DIR
 * DIR holds machine.txt, runs.tsv (round, bench, side, ref, load average before the run) and one
 * `<bench>.<side>.<round>.log` per run (its whole output; its BENCH_JSON line is the result).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns, formatTable, type Run } from './lib/compare-table.ts';
import { evaluateGoals, formatGoals } from './lib/goals.ts';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/compare.ts DIR');
  process.exit(2);
}
const runs: Run[] = [];
const failed: string[] = [];
const loads: string[] = [];
for (const line of readFileSync(join(dir, 'runs.tsv'), 'utf8').split('\n')) {
  const [round, bench, side, ref, load] = line.split('\t');
  if (!round || !bench || (side !== 'A' && side !== 'B')) continue;
  const file = join(dir, `${bench}.${side}.${round}.log`);
  const output = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (!output.includes('BENCH_JSON ')) failed.push(`${bench} ${side} round ${round} (${file})`);
  runs.push({ side, round: Number(round), output });
  loads.push(`round ${round} ${bench} ${side} (${ref}): load average ${load}`);
}
console.log(readFileSync(join(dir, 'machine.txt'), 'utf8').trim());
console.log(loads.join('\n'));
if (failed.length > 0) console.log(`\nruns without a result: ${failed.join('; ')}`);
console.log(`\n${formatTable(compareRuns(runs))}`);
const goals = evaluateGoals(runs);
if (goals.length > 0)
  console.log(`\nissue 14's goals, round by round (bench/lib/goals.ts):\n\n${formatGoals(goals)}`);
