/**
 * The `po` binary as a user runs it (a subprocess, configured through PO_URL / PO_API_KEY or a config
 * file) against the whole system: exit codes 0/1/2/3, live logs, parseable JSON.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { type Stack, startStack, waitFor } from './fixture.ts';
import { registerGatedTemplate, statusOf } from './pipelines.ts';

/** The bin pnpm links for `pnpm exec po` (a shell shim that runs `node` from PATH). */
const PO = resolve(import.meta.dirname, '..', 'node_modules', '.bin', 'po');

let stack: Stack;
let home: string;
let input: string;

before(async () => {
  stack = await startStack();
  await registerGatedTemplate(stack);
  input = join(stack.dir, 'input.txt');
  writeFileSync(input, 'one\ntwo\nthree\n');
  // No config file of the machine's user is read.
  home = mkdtempSync(join(tmpdir(), 'po-cli-home-'));
});
after(async () => {
  await stack?.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run>; out: () => string } {
  const child = spawn(PO, args, {
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      HOME: home,
      PO_URL: stack.system.gatewayUrl,
      PO_API_KEY: stack.apiKey,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const done = new Promise<Run>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, out: () => stdout };
}

const po = (args: string[], env?: Record<string, string>) => start(args, env).done;

test('submit --wait of a succeeding pipeline exits 0 with its status, live status on stderr', async () => {
  const r = await po([
    'submit',
    '--type',
    'DataProcessing',
    '--set',
    `input_path=${input}`,
    '--set',
    `output_path=${join(stack.dir, 'out-ok.txt')}`,
    '--priority',
    'High',
    '--wait',
    '--wait-timeout',
    '120',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f-]{36} Succeeded\n$/);
  assert.match(r.stderr, /submitted [0-9a-f-]{36}/);
  // Not a terminal: a plain timestamped line per status seen (no spinner), the last one the end.
  const statusLines = r.stderr.split('\n').filter((l) => /^\S+Z [0-9a-f-]{36} \w+/.test(l));
  assert.match(statusLines[0] ?? '', / (Queued|Running|Succeeded)$/);
  assert.match(statusLines.at(-1) ?? '', / Succeeded$/);
  assert.ok(!r.stderr.includes('\x1b') && !r.stderr.includes('\r'), 'no terminal control characters');
});

test('submit --wait of a failing pipeline (from a YAML file) exits 1 with the reason', async () => {
  const file = join(stack.dir, 'failing.yaml');
  writeFileSync(
    file,
    `pipeline_type: DataProcessing\nconfig:\n  input_path: ${join(stack.dir, 'missing.txt')}\n  output_path: ${join(stack.dir, 'x.txt')}\npriority: Normal\ntimeout_seconds: 120\n`,
  );
  const r = await po(['submit', file, '--wait']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, / Failed/);
  const id = r.stdout.split(' ')[0] ?? '';
  assert.equal((await statusOf(stack, id)).status, 'Failed');
});

test('logs -f prints lines while the pod runs and ends with the pipeline', async () => {
  const gate = join(stack.dir, `gate-${randomUUID()}`);
  const submitted = await po(['submit', '--template', 'gated', '--set', `gate_path=${gate}`]);
  assert.equal(submitted.code, 0, submitted.stderr);
  const id = submitted.stdout.trim();
  const follower = start(['logs', id, '-f']);
  try {
    await waitFor(
      'the first line on stdout',
      async () => follower.out().includes('first line\n') || undefined,
    );
    // The workload waits for the gate, so the line was printed while its pod runs.
    assert.equal((await statusOf(stack, id)).status, 'Running');
    assert.ok(!follower.out().includes('second line'));
    writeFileSync(gate, '');
    const r = await follower.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'first line\nsecond line\n');
    assert.match(r.stderr, /ended Succeeded/);
  } finally {
    follower.child.kill();
  }
  const stored = await po(['logs', id]);
  assert.equal(stored.stdout, 'first line\nsecond line\n');
});

test('list --json is parseable; get, events, quota and templates answer; the config file is read', async () => {
  const r = await po(['list', '--json', '--limit', '50']);
  assert.equal(r.code, 0, r.stderr);
  const items = JSON.parse(r.stdout) as { id: string; status: string }[];
  assert.ok(Array.isArray(items) && items.length >= 3);
  const id = items[0]?.id ?? '';
  const table = await po(['list', '--status', 'Failed']);
  assert.match(table.stdout, /^ID\s+STATUS/);
  assert.match(table.stdout, /Failed/);
  assert.doesNotMatch(table.stdout, /Succeeded/);

  const got = await po(['get', id, '--json']);
  assert.equal((JSON.parse(got.stdout) as { id: string }).id, id);
  const events = await po(['events', id, '--json']);
  assert.equal((JSON.parse(events.stdout) as { to: string }[])[0]?.to, 'Queued');
  assert.match((await po(['templates', 'list'])).stdout, /gated/);
  assert.equal(
    (JSON.parse((await po(['quota', '--json'])).stdout) as { tenant_id: string }).tenant_id,
    'default',
  );

  // From ~/.config/po/config.json when neither flags nor the environment say.
  mkdirSync(join(home, '.config', 'po'), { recursive: true });
  writeFileSync(
    join(home, '.config', 'po', 'config.json'),
    JSON.stringify({ url: stack.system.gatewayUrl, api_key: stack.apiKey }),
  );
  const fromFile = await po(['get', id, '--json'], { PO_URL: '', PO_API_KEY: '' });
  assert.equal(fromFile.code, 0, fromFile.stderr);
});

test("whoami names the key's tenant, role and key, as a table or --json", async () => {
  const dev = await po(['whoami', '--json']);
  assert.equal(dev.code, 0, dev.stderr);
  assert.deepEqual(JSON.parse(dev.stdout), {
    tenant_id: 'default',
    role: 'admin',
    key_id: null,
    key_name: 'dev-key',
  });
  const made = await stack.api('/keys', {
    method: 'POST',
    body: JSON.stringify({ name: 'cli-viewer', role: 'viewer' }),
  });
  assert.equal(made.status, 201);
  const viewer = (await made.json()) as { id: string; key: string };
  const r = await po(['whoami'], { PO_API_KEY: viewer.key });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `TENANT   ROLE    KEY         KEY ID\ndefault  viewer  cli-viewer  ${viewer.id}\n`);
});

test('usage errors exit 2, API errors exit 3 with the error kind', async () => {
  for (const args of [[], ['frobnicate'], ['submit', '--type', 'Nope'], ['get'], ['list', '--bogus']]) {
    const r = await po(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage|po:/);
  }
  const missing = await po(['get', randomUUID()]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /NotFound \(HTTP 404\)/);
  const badKey = await po(['list'], { PO_API_KEY: 'nope' });
  assert.equal(badKey.code, 3);
  assert.match(badKey.stderr, /Unauthorized/);
  const invalid = await po(['submit', '--type', 'DataProcessing', '--set', 'input_path=/x']);
  assert.equal(invalid.code, 3);
  assert.match(invalid.stderr, /InvalidConfig/);
  // A dead letter that does not exist is the API's 404; a missing argument is a usage error.
  const noLetter = await po(['dead-letters', 'delete', '999999']);
  assert.equal(noLetter.code, 3, noLetter.stderr);
  assert.match(noLetter.stderr, /NotFound/);
  const noSeq = await po(['dead-letters', 'replay']);
  assert.equal(noSeq.code, 2, noSeq.stderr);
});
