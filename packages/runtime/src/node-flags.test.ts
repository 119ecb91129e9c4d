import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseNodeFlags, serviceNodeFlags } from './node-flags.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVICES = ['gateway', 'scheduler', 'job-runner', 'watcher', 'log-collector'];

test('parseNodeFlags: a service per line, its flags after it; comments and blank lines skipped', () => {
  const cases: [string, [string, string[]][]][] = [
    ['', []],
    ['# only a comment\n\n', []],
    ['gateway', [['gateway', []]]],
    ['watcher   --a=1  --b\n', [['watcher', ['--a=1', '--b']]]],
    [
      '  x --a\n# y --b\ny\t--c',
      [
        ['x', ['--a']],
        ['y', ['--c']],
      ],
    ],
  ];
  for (const [text, want] of cases) assert.deepEqual([...parseNodeFlags(text)], want, JSON.stringify(text));
  assert.throws(() => parseNodeFlags('a --x\na --y'), /listed twice/);
});

test('every service has its flags, each a node or V8 option node accepts', async () => {
  for (const name of SERVICES) {
    const flags = serviceNodeFlags(name);
    for (const f of flags) assert.match(f, /^--[a-z0-9-]+(=\S+)?$/, `${name}: ${f}`);
    // node exits non-zero on an option it does not know ("bad option").
    await promisify(execFile)(process.execPath, [...flags, '-e', '0']);
  }
  assert.throws(() => serviceNodeFlags('nope'), /lists no service/);
});

test('run-service.sh runs a service with the same flags devstack uses, and refuses an unknown one', async () => {
  const run = (name: string) =>
    promisify(execFile)('sh', ['packages/runtime/src/run-service.sh', name], {
      cwd: ROOT,
      env: { ...process.env, NODE: 'echo' },
    });
  for (const name of SERVICES) {
    const { stdout } = await run(name);
    assert.equal(stdout.trim(), [...serviceNodeFlags(name), `apps/${name}/src/main.ts`].join(' '));
  }
  await assert.rejects(run('nope'), (err: { code?: number }) => err.code === 64);
  await assert.rejects(run('gate'), (err: { code?: number }) => err.code === 64);
});
