/**
 * Runs every check and test and ends with the line CI reads: `N passed, N failed`.
 * Checks (lint + format, types) count as one test each. Usage:
 *   node scripts/test.ts            everything
 *   node scripts/test.ts --no-e2e   skip e2e/ (quick loop)
 *   node scripts/test.ts <file...>  only these test files (no checks)
 */
import { spawnSync } from 'node:child_process';
import { glob } from 'node:fs/promises';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { buildConsole } from './console-build.ts';

const args = process.argv.slice(2);
const explicit = args.filter((a) => !a.startsWith('--'));
let passed = 0;
let failed = 0;

function check(name: string, cmd: string, cmdArgs: string[]): void {
  process.stdout.write(`\n▶ ${name}: ${cmd} ${cmdArgs.join(' ')}\n`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
  if (r.status === 0) {
    passed++;
    process.stdout.write(`✔ ${name}\n`);
  } else {
    failed++;
    process.stdout.write(`✖ ${name} (exit ${r.status})\n`);
  }
}

if (explicit.length === 0) {
  check('lint and format', 'pnpm', ['exec', 'biome', 'ci', '.']);
  check('typecheck', 'pnpm', ['exec', 'tsc', '-p', 'tsconfig.json']);
}
// The web console the gateway serves at /ui (its own typecheck + Vite build), before any gateway
// starts: the browser tests drive it, and nothing rewrites it while they run.
if (explicit.length === 0 || explicit.some((f) => f.includes('e2e/browser'))) {
  process.stdout.write('\n▶ console build: pnpm --filter @po/console run build\n');
  if (buildConsole()) {
    passed++;
    process.stdout.write('✔ console build\n');
  } else {
    failed++;
    process.stdout.write('✖ console build\n');
  }
}

const patterns =
  explicit.length > 0
    ? explicit
    : [
        'packages/*/src/**/*.test.ts',
        'apps/*/src/**/*.test.ts',
        'bench/lib/**/*.test.ts',
        ...(args.includes('--no-e2e') ? [] : ['e2e/**/*.test.ts']),
      ];
const files: string[] = [];
for (const p of patterns)
  for await (const f of glob(p, { exclude: (f) => f.includes('node_modules') })) files.push(f);
files.sort();
// Suites that load the whole machine (two replicas of everything) run alone, after the rest.
const alone = files.filter((f) => f.startsWith('e2e/chaos/'));
const together = files.filter((f) => !alone.includes(f));
process.stdout.write(`\n▶ ${files.length} test files\n`);

async function runFiles(batch: string[], concurrency: number): Promise<void> {
  if (batch.length === 0) return;
  const stream = run({ files: batch, concurrency, timeout: 10 * 60_000 });
  stream.on('test:pass', (t) => {
    if (t.details.type !== 'suite') passed++;
  });
  stream.on('test:fail', (t) => {
    if (t.details.type !== 'suite') failed++;
  });
  stream.compose(new spec()).pipe(process.stdout, { end: false });
  await new Promise<void>((resolve) => stream.once('end', () => resolve()));
}

await runFiles(together, 3);
await runFiles(alone, 1);
// Let the reporter flush before the summary line, which must be the last one.
await new Promise((r) => setImmediate(r));
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
