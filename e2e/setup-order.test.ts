/**
 * The install's ordering, as the manifests and compose rely on it: `cli.ts wait` (every service's
 * init container) returns only once the migrations are applied, and a service's /ready stays false
 * until the JetStream stream and durable consumer it reads exist — created by the provisioning
 * command, not by the dev command.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { connectNats, deleteStreams } from '@po/bus';
import { ensureDatabase } from '@po/db';
import { dropDatabase, freePort, prepareDatabase } from '@po/devstack';
import { ROOT } from './env-scan.ts';
import { waitFor } from './fixture.ts';

const id = randomBytes(4).toString('hex');
const databaseUrl = `postgres://root@127.0.0.1:5432/po_setup_${id}`;
const natsUrl = 'nats://127.0.0.1:4222';
const prefix = `s${id}`;
const children: ChildProcess[] = [];

function run(args: string[], env: Record<string, string>): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return Object.assign(child, { out: () => out });
}

const exited = async (child: ChildProcess): Promise<number | null> =>
  child.exitCode ?? ((await once(child, 'exit')) as [number | null])[0];

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  const nc = await connectNats({ servers: natsUrl, name: 'setup-test' });
  await deleteStreams(nc, prefix).catch(() => {});
  await nc.close();
  await dropDatabase(databaseUrl);
});

test('the migration wait returns only once the migrations are applied', async () => {
  await ensureDatabase(databaseUrl);
  const wait = run(['packages/db/src/cli.ts', 'wait'], {
    DATABASE_URL: databaseUrl,
    MIGRATION_WAIT_SECONDS: '120',
  });
  await waitFor('the wait to report pending migrations', async () =>
    wait.out().includes('waiting for migrations'),
  );
  assert.equal(wait.exitCode, null, 'still waiting');
  const migrate = run(['packages/db/src/cli.ts', 'migrate'], { DATABASE_URL: databaseUrl });
  assert.equal(await exited(migrate), 0, migrate.out());
  assert.equal(await exited(wait), 0, wait.out());
  assert.match(wait.out(), /schema is current/);
});

test('a service is not ready until its stream and consumer are provisioned', async () => {
  await prepareDatabase(databaseUrl);
  const port = await freePort();
  const scheduler = run(['apps/scheduler/src/main.ts'], {
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    BUS_PREFIX: prefix,
    OPS_PORT: String(port),
    STOP_WITH_PARENT: 'true',
  });
  const ready = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
    return res && { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };
  const before = await waitFor('the scheduler to answer /ready', ready);
  assert.equal(before.status, 503, 'not ready without its stream');
  assert.equal(before.body.checks.postgres, 'ok');
  assert.equal(before.body.checks.nats, 'ok');
  assert.match(before.body.checks['consumer scheduler'] ?? '', /not found/i);

  const provision = run(['packages/runtime/src/provision-cli.ts'], { NATS_URL: natsUrl, BUS_PREFIX: prefix });
  assert.equal(await exited(provision), 0, provision.out());
  const afterProvision = await waitFor('the scheduler to be ready', async () => {
    const r = await ready();
    return r?.status === 200 ? r : undefined;
  });
  assert.equal(afterProvision.body.checks['consumer scheduler'], 'ok');
  // Provisioning again changes nothing and succeeds (every deploy runs it).
  const again = run(['packages/runtime/src/provision-cli.ts'], { NATS_URL: natsUrl, BUS_PREFIX: prefix });
  assert.equal(await exited(again), 0, again.out());
  scheduler.kill('SIGTERM');
  assert.equal(await exited(scheduler), 0, scheduler.out().slice(-2000));
});
