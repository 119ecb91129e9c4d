import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { enqueue, insertPipeline } from '@po/db';
import { createTestDatabase, newPipelineRow, type TestDatabase } from '@po/db/testing';
import { sql } from 'kysely';
import { pino } from 'pino';
import { startOutboxRelay } from './index.ts';
import { createTestBus, queuedMessage, recordingMetrics, type TestBus, waitFor } from './testing.ts';

const logger = pino({ level: 'silent' });
let bus: TestBus;
let tdb: TestDatabase;

before(async () => {
  [bus, tdb] = await Promise.all([createTestBus(), createTestDatabase()]);
});
after(async () => {
  await Promise.all([bus.close(), tdb.close()]);
});

const unpublished = async () =>
  (await tdb.db.selectFrom('outbox').select('id').where('published_at', 'is', null).execute()).length;

/** A relay on this file's database and bus (NOTIFY only: polling is off unless a test sets pollMs). */
function startRelay(overrides: Partial<Parameters<typeof startOutboxRelay>[0]> = {}) {
  return startOutboxRelay({
    db: tdb.db,
    connectionString: tdb.url,
    nc: bus.nc,
    logger,
    pollMs: 600_000,
    standbyCheckMs: 50,
    ...overrides,
  });
}

async function commandMessages() {
  const jsm = await jetstreamManager(bus.nc);
  return (await jsm.streams.info(bus.streams.commands)).state.messages;
}

test('publishes rows committed before start (polling) and while running (NOTIFY), once per msg id', async () => {
  for (let i = 0; i < 5; i++) await enqueue(tdb.db, bus.subjects.pipelineQueued, queuedMessage(`relay-${i}`));
  // A poll interval far beyond the test's deadline: only the startup scan and NOTIFY can publish.
  const relays = [1, 2].map(() => startRelay({ batchSize: 2 }));
  try {
    await waitFor(async () => (await unpublished()) === 0, 'startup rows published');
    assert.equal(await commandMessages(), 5);

    // Rows committed while the relays run (two of them, racing for the same rows).
    await tdb.db.transaction().execute(async (trx) => {
      for (let i = 5; i < 12; i++)
        await enqueue(trx, bus.subjects.pipelineQueued, queuedMessage(`relay-${i}`));
    });
    await waitFor(async () => (await unpublished()) === 0, 'notified rows published');
    assert.equal(await commandMessages(), 12);
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
  }
});

test('rows enqueued while no relay runs are published by the next one; pipeline rows too', async () => {
  const before = await commandMessages();
  const r = await insertPipeline(tdb.db, bus.subjects, newPipelineRow());
  assert.ok(r.created);
  assert.equal(await unpublished(), 2);
  const metrics = recordingMetrics();
  const relay = startRelay({ pollMs: 50, metrics });
  try {
    await waitFor(async () => (await unpublished()) === 0, 'published after restart');
  } finally {
    await relay.stop();
  }
  // Metric labels never carry a pipeline id.
  assert.deepEqual(
    metrics.publishedSubjects.sort(),
    [bus.subjects.pipelineQueued, bus.subjects.pipelineStatusAll].sort(),
  );
  // One PipelineQueued command; the status message went to the events stream.
  assert.equal(await commandMessages(), before + 1);
  const jsm = await jetstreamManager(bus.nc);
  const status = await jsm.streams.getMessage(bus.streams.events, {
    last_by_subj: bus.subjects.pipelineStatus(r.pipeline.tenant_id, r.pipeline.id),
  });
  assert.equal(status?.header.get('Nats-Msg-Id'), `${r.pipeline.id}:1:Queued:status`);
});

test('NATS unavailable: rows stay unpublished and go out once it is back', async () => {
  const { connectNats } = await import('./nats.ts');
  // A connection that is closed behaves like NATS being down for the relay's publishes.
  const dead = await connectNats({ servers: '127.0.0.1:4222', name: 'dead' });
  await dead.close();
  await enqueue(tdb.db, bus.subjects.pipelineQueued, queuedMessage('relay-100'));
  const warnings: string[] = [];
  const recording = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const failing = startRelay({ nc: dead, logger: recording, pollMs: 50 });
  try {
    await waitFor(
      () => warnings.filter((w) => w.includes('outbox relay failed')).length >= 2,
      'failed attempts',
    );
  } finally {
    await failing.stop();
  }
  assert.equal(await unpublished(), 1);
  const relay = startRelay({ pollMs: 50 });
  try {
    await waitFor(async () => (await unpublished()) === 0, 'published once NATS is reachable');
  } finally {
    await relay.stop();
  }
});

test('the LISTEN connection is re-established after it is killed', async () => {
  const relay = startRelay();
  const listeners = async () =>
    (
      await sql<{ pid: number }>`select pid from pg_stat_activity
        where datname = current_database() and application_name = 'outbox-relay' and query ilike 'listen%'`.execute(
        tdb.db,
      )
    ).rows.map((r) => r.pid);
  try {
    const [pid] = await waitFor(async () => {
      const l = await listeners();
      return l.length === 1 ? l : undefined;
    }, 'listener');
    await sql`select pg_terminate_backend(${pid})`.execute(tdb.db);
    await waitFor(async () => {
      const l = await listeners();
      return l.length === 1 && l[0] !== pid;
    }, 'new listener');
    await enqueue(tdb.db, bus.subjects.pipelineQueued, queuedMessage('after-listener-restart'));
    await waitFor(async () => (await unpublished()) === 0, 'published via the new listener');
  } finally {
    await relay.stop();
  }
});

test('a claimed batch is published in outbox order, pipelined, and marked once acknowledged', async () => {
  const ids = Array.from({ length: 30 }, (_, i) => `ordered-${String(i).padStart(2, '0')}`);
  await tdb.db.transaction().execute(async (trx) => {
    for (const id of ids) await enqueue(trx, bus.subjects.pipelineQueued, queuedMessage(id));
  });
  const jsm = await jetstreamManager(bus.nc);
  const first = (await jsm.streams.info(bus.streams.commands)).state.last_seq + 1;
  const relay = startRelay({ pollMs: 50, batchSize: 500 });
  try {
    await waitFor(async () => (await unpublished()) === 0, 'batch published');
  } finally {
    await relay.stop();
  }
  const published: string[] = [];
  for (let seq = first; seq < first + ids.length; seq++) {
    const m = await jsm.streams.getMessage(bus.streams.commands, { seq });
    published.push(m?.header.get('Nats-Msg-Id') ?? '');
  }
  assert.deepEqual(published, ids);
});

test('one relay per database is active; a standby takes over when it stops', async () => {
  const start = (metrics: ReturnType<typeof recordingMetrics>) => startRelay({ metrics });
  const [first, second] = [recordingMetrics(), recordingMetrics()];
  const active = start(first);
  await enqueue(tdb.db, bus.subjects.pipelineQueued, queuedMessage('leader-0'));
  await waitFor(async () => (await unpublished()) === 0, 'the first relay publishes');
  const standby = start(second);
  try {
    for (let i = 1; i <= 5; i++) {
      await enqueue(tdb.db, bus.subjects.pipelineQueued, queuedMessage(`leader-${i}`));
    }
    await waitFor(async () => (await unpublished()) === 0, 'published');
    assert.equal(first.publishedSubjects.length, 6);
    assert.equal(second.publishedSubjects.length, 0, 'the standby claimed nothing');

    await active.stop();
    await enqueue(tdb.db, bus.subjects.pipelineQueued, queuedMessage('after-failover'));
    await waitFor(async () => (await unpublished()) === 0, 'published by the standby');
    assert.equal(second.publishedSubjects.length, 1);
  } finally {
    await Promise.all([active.stop(), standby.stop()]);
  }
});

test('an active relay that cannot publish (its NATS connection is down) steps down for a standby', async () => {
  const { connectNats } = await import('./nats.ts');
  const dead = await connectNats({ servers: '127.0.0.1:4222', name: 'dead-leader' });
  await dead.close();
  const broken = startRelay({ nc: dead, pollMs: 20 });
  // It is the active one: a standby started after it gets nothing until it steps down.
  await waitFor(
    async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from pg_locks
          where locktype = 'advisory' and granted
          and database = (select oid from pg_database where datname = current_database())`.execute(tdb.db)
      ).rows[0]?.n === 1,
    'the broken relay holds the lock',
  );
  const metrics = recordingMetrics();
  const healthy = startRelay({ metrics });
  try {
    await enqueue(tdb.db, bus.subjects.pipelineQueued, queuedMessage('while-leader-broken'));
    await waitFor(async () => (await unpublished()) === 0, 'published by the standby');
    assert.deepEqual(metrics.publishedSubjects, [bus.subjects.pipelineQueued]);
  } finally {
    await Promise.all([broken.stop(), healthy.stop()]);
  }
});
