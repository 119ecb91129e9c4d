// Supervision: a replica killed from outside (kill -9) comes back, with backoff, as a new process
// answering /health with a new instance id; one stopped through the system stays stopped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connectNats, deleteStreams, provision } from '@po/bus';
import { dropDatabase } from '@po/db';
import { waitFor } from '@po/testkit';
import { prepareDatabase } from './database.ts';
import { type System, startSystem } from './system.ts';

const id = randomBytes(4).toString('hex');
const databaseUrl = `postgres://root@127.0.0.1:5432/po_devstack_${id}`;
const busPrefix = `d${id}`;
const dir = mkdtempSync(join(tmpdir(), 'po-devstack-'));
const lines: string[] = [];
let system: System;

before(async () => {
  await prepareDatabase(databaseUrl);
  const nc = await connectNats({ servers: 'nats://127.0.0.1:4222', name: 'devstack-test' });
  await provision(nc, busPrefix);
  await nc.close();
  system = await startSystem({
    databaseUrl,
    natsUrl: 'nats://127.0.0.1:4222',
    busPrefix,
    kubeconfigPath: join(dir, 'kubeconfig'),
    namespace: 'pipelines',
    devApiKey: 'unused',
    output: { dir },
    services: ['scheduler'],
    replicas: { scheduler: 2 },
    supervise: { initialMs: 100, maxMs: 1000, resetAfterMs: 60_000 },
    log: (line) => lines.push(line),
  });
});
after(async () => {
  await system?.stop();
  const nc = await connectNats({ servers: 'nats://127.0.0.1:4222', name: 'devstack-test' });
  await deleteStreams(nc, busPrefix);
  await nc.close();
  await dropDatabase(databaseUrl);
  rmSync(dir, { recursive: true, force: true });
});

const healthOf = async (port: number) =>
  (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { instance?: string };

test('two replicas: each its own process, port and instance id', async () => {
  const [a, b] = system.replicas.get('scheduler') ?? [];
  assert.ok(a && b);
  assert.notEqual(a.port, b.port);
  assert.notEqual(a.process.pid, b.process.pid);
  assert.equal((await healthOf(a.port)).instance, a.instance);
  assert.equal((await healthOf(b.port)).instance, b.instance);
});

test('a replica killed with SIGKILL is restarted with backoff and answers /health as a new instance', async () => {
  for (const [n, delay] of [
    [1, 100],
    [2, 200],
  ] as const) {
    const before = system.replicas.get('scheduler')?.[1];
    assert.ok(before?.process.pid);
    process.kill(before.process.pid, 'SIGKILL');
    const after = await waitFor(
      'a new instance',
      async () => {
        const now = system.replicas.get('scheduler')?.[1];
        if (!now || now.instance === before.instance) return undefined;
        return (await healthOf(now.port)).instance === now.instance ? now : undefined;
        // A restart is a whole service start: on a loaded machine that alone has taken 30 s.
      },
      90_000,
    );
    assert.notEqual(after.process.pid, before.process.pid);
    assert.match(
      lines.join('\n'),
      new RegExp(`scheduler#1 exited \\(SIGKILL\\) after [\\d.]+ s; restart #${n} in ${delay} ms`),
    );
    await waitFor(
      'the restart to be reported',
      () => lines.filter((l) => l.includes('scheduler#1 restarted')).length === n,
      90_000,
    );
  }
  // The other replica was not touched.
  assert.ok(!lines.some((l) => l.includes('scheduler exited')));
});

test('a replica stopped through the system is not restarted', async () => {
  const count = lines.length;
  assert.equal(await system.kill('scheduler', 'SIGTERM', 0), 0);
  // Restarts are scheduled (and reported) from the exit event itself, which has fired by now.
  assert.equal(lines.length, count);
  await system.start('scheduler', 0);
  const svc = system.services.get('scheduler');
  assert.ok(svc);
  assert.equal((await healthOf(svc.port)).instance, svc.instance);
});
