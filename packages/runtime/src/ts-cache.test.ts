import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { entryPath, strip, warm } from './ts-cache.mjs';

const HOOKS = fileURLToPath(new URL('./ts-cache-hooks.mjs', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'po-ts-cache-'));

test('strip caches by content: the same source hits, a changed one is a new entry', () => {
  const dir = tmp();
  const cases = [
    { source: 'const a: number = 1;\nexport { a };\n', hit: false },
    { source: 'const a: number = 1;\nexport { a };\n', hit: true },
    { source: 'const a: string = "1";\nexport { a };\n', hit: false },
  ];
  for (const { source, hit } of cases) {
    const out = strip(dir, source);
    assert.equal(out.hit, hit, source);
    assert.doesNotMatch(out.js, /: (number|string)/);
    // Types become blanks: every line and column stays where it was (stack traces stay right).
    assert.deepEqual(
      out.js.split('\n').map((l) => l.length),
      source.split('\n').map((l) => l.length),
    );
  }
  assert.equal(readdirSync(dir).length, 2);
});

test('a cache that cannot be written still serves the JavaScript', () => {
  const parent = tmp();
  const dir = join(parent, 'file-not-dir');
  writeFileSync(dir, '');
  const out = strip(dir, 'export const b: boolean = true;\n');
  assert.equal(out.hit, false);
  assert.match(out.js, /^export const b\s+= true;$/m);
  assert.notEqual(entryPath(dir, 'x'), entryPath(dir, 'y'));
});

test('warm strips the sources under each root, not tests, declarations or node_modules', () => {
  const root = tmp();
  const dir = join(tmp(), 'cache');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(root, 'a.ts'), 'export const a: number = 1;\n');
  writeFileSync(join(root, 'sub', 'b.ts'), 'export const b: number = 2;\n');
  writeFileSync(join(root, 'a.test.ts'), 'export const t: number = 3;\n');
  writeFileSync(join(root, 'types.d.ts'), 'export type T = number;\n');
  writeFileSync(join(root, 'node_modules', 'dep', 'c.ts'), 'export const c: number = 4;\n');
  assert.deepEqual(warm(dir, [root]), { files: 2, stripped: 2 });
  assert.deepEqual(warm(dir, [root]), { files: 2, stripped: 0 });
});

test('a service whose TypeScript is cached runs it without loading Node’s TypeScript stripper', () => {
  const app = tmp();
  const dir = join(tmp(), 'cache');
  writeFileSync(join(app, 'package.json'), '{ "type": "module" }');
  writeFileSync(join(app, 'dep.ts'), 'export const answer: number = 42;\n');
  writeFileSync(
    join(app, 'main.ts'),
    [
      "import { answer } from './dep.ts';",
      'const loaded: boolean = process.moduleLoadList.some((m) => m.includes("amaro"));',
      'console.log(JSON.stringify({ answer, loaded }));',
    ].join('\n'),
  );
  const run = (env: Record<string, string>) =>
    JSON.parse(
      execFileSync(process.execPath, [`--import=${HOOKS}`, join(app, 'main.ts')], {
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
      }),
    ) as { answer: number; loaded: boolean };
  assert.deepEqual(run({}), { answer: 42, loaded: true }, 'no TS_CACHE_DIR: Node strips');
  assert.deepEqual(run({ TS_CACHE_DIR: dir }), { answer: 42, loaded: true }, 'first run fills the cache');
  assert.deepEqual(run({ TS_CACHE_DIR: dir }), { answer: 42, loaded: false }, 'then it is not needed');
});
