// Event-driven admission: with the quota full, an attempt that ends wakes the scheduler (a NOTIFY
// sent in the transition's transaction), which admits the next pipeline. The poll interval is a
// minute and every wait below is shorter, so only the wake-up can explain an admission.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { subjects as subjectsFor } from '@po/contracts';
import { CHANNELS, insertPipeline, type Listener, listen, transition } from '@po/db';
import { createTestDatabase, newPipelineRow, type TestDatabase } from '@po/db/testing';
import { createLogger, createMetrics } from '@po/telemetry';
import { waitFor } from '@po/testkit';
import { Scheduler } from './scheduler.ts';

let tdb: TestDatabase & { subjects: ReturnType<typeof subjectsFor> };
const POLL_MS = 60_000;
const WAIT_MS = 20_000;
let scheduler: Scheduler;
let listener: Listener;

before(async () => {
  tdb = { ...(await createTestDatabase()), subjects: subjectsFor(`t${Date.now().toString(36)}`) };
  scheduler = new Scheduler({
    db: tdb.db,
    subjects: tdb.subjects,
    logger: createLogger({ service: 'scheduler-test', level: 'silent' }),
    metrics: createMetrics({ service: 'scheduler-test', defaults: false }),
    maxRunning: 1,
    tenantMaxRunning: 1,
    queueTimeoutSeconds: 0,
    batch: 10,
    pollMs: POLL_MS,
  });
  listener = listen({
    connectionString: tdb.url,
    channel: CHANNELS.slotFreed,
    onNotify: () => void scheduler.slotFreed().catch(() => {}),
  });
});
after(async () => {
  await listener.stop();
  await scheduler.stop();
  await tdb.close();
});
beforeEach(async () => {
  await tdb.db.deleteFrom('pipelines').execute();
});

const admittedAt = async (id: string) =>
  (await tdb.db.selectFrom('pipelines').select('admitted_at').where('id', '=', id).executeTakeFirstOrThrow())
    .admitted_at;

async function queue(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await insertPipeline(
      tdb.db,
      tdb.subjects,
      newPipelineRow({ queued_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) }),
    );
    assert.ok(r.created);
    ids.push(r.pipeline.id);
  }
  return ids;
}

test('a pipeline that finishes frees its slot at once: the next one is admitted without waiting for the poll', async () => {
  const [first = '', second = '', third = ''] = await queue(3);
  scheduler.start();
  await waitFor('the first admission', async () => (await admittedAt(first)) !== null, WAIT_MS);
  await scheduler.admitNow();
  assert.equal(await admittedAt(second), null, 'the quota of 1 is full');

  assert.ok((await transition(tdb.db, tdb.subjects, { pipelineId: first, to: 'Running' })).ok);
  assert.ok((await transition(tdb.db, tdb.subjects, { pipelineId: first, to: 'Succeeded' })).ok);
  const at = await waitFor(
    'the second admission',
    async () => (await admittedAt(second)) ?? undefined,
    WAIT_MS,
  );
  const finished = await tdb.db
    .selectFrom('pipelines')
    .select('finished_at')
    .where('id', '=', first)
    .executeTakeFirstOrThrow();
  assert.ok(
    finished.finished_at && at >= finished.finished_at,
    `admitted after the slot was freed: ${String(at)} ${String(finished.finished_at)}`,
  );
  assert.equal(await admittedAt(third), null, 'still one at a time');

  // An admitted pipeline cancelled before it ran frees its slot too.
  assert.ok((await transition(tdb.db, tdb.subjects, { pipelineId: second, to: 'Cancelled' })).ok);
  await waitFor('the third admission', async () => (await admittedAt(third)) ?? undefined, WAIT_MS);
});

test('a pipeline cancelled while still waiting frees no slot and wakes no admission beyond the quota', async () => {
  const [running = '', waiting = '', next = ''] = await queue(3);
  await scheduler.admitNow();
  assert.notEqual(await admittedAt(running), null);
  assert.ok((await transition(tdb.db, tdb.subjects, { pipelineId: waiting, to: 'Cancelled' })).ok);
  await scheduler.admitNow();
  assert.equal(await admittedAt(next), null, 'the running one still holds the only slot');
});

test('a freed slot with nobody waiting needs no pass; a pipeline queued afterwards is admitted by its own wake-up', async () => {
  const [first = ''] = await queue(1);
  await scheduler.admitNow();
  assert.notEqual(await admittedAt(first), null);
  // This pass finds the queue empty, and the scheduler remembers it.
  await scheduler.admitNow();
  assert.ok((await transition(tdb.db, tdb.subjects, { pipelineId: first, to: 'Cancelled' })).ok);
  // A pipeline inserted behind the scheduler's back (without the wake-up every way into the queue
  // sends): a freed slot does not look for it, though there is room now...
  const [unannounced = ''] = await queue(1);
  await scheduler.slotFreed();
  assert.equal(await admittedAt(unannounced), null);
  // ...its wake-up (its PipelineQueued message, or the poll, the safety net) admits it.
  await scheduler.admitNow();
  assert.notEqual(await admittedAt(unannounced), null);
});
