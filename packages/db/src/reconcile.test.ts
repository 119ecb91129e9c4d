import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  admitQueued,
  insertPipeline,
  listJobHolders,
  markJobCreated,
  readAttemptState,
  recordPodDisruption,
  requestJobCreateAgain,
  transition,
} from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

async function admitted(namespace = 'default'): Promise<string> {
  const r = await insertPipeline(tdb.db, subjects, newPipelineRow({ namespace }));
  assert.ok(r.created);
  await admitQueued(tdb.db, subjects, { limit: 1000 });
  return r.pipeline.id;
}

const creates = (id: string) =>
  tdb.db
    .selectFrom('outbox')
    .select('msg_id')
    .where('subject', '=', subjects.jobCreate)
    .where('msg_id', 'like', `${id}:%`)
    .orderBy('id')
    .execute();

test('a Job asked for again: one command per request number, each with its own id, while still admitted', async () => {
  const id = await admitted();
  const req = { pipelineId: id, attempt: 1, reason: 'JobNotSeen' };
  assert.equal(await requestJobCreateAgain(tdb.db, subjects, { ...req, request: 1 }), true);
  assert.equal(await requestJobCreateAgain(tdb.db, subjects, { ...req, request: 1 }), false, 'made once');
  assert.equal(await requestJobCreateAgain(tdb.db, subjects, { ...req, request: 3 }), false, 'in order');
  assert.equal(await requestJobCreateAgain(tdb.db, subjects, { ...req, request: 2 }), true);
  assert.deepEqual(
    (await creates(id)).map((m) => m.msg_id),
    [`${id}:1:create`, `${id}:1:create:1`, `${id}:1:create:2`],
  );
  const { attempt } = await readAttemptState(tdb.db, id, 1);
  assert.equal(attempt?.job_create_requests, 2);
  assert.ok(attempt?.job_create_requested_at);

  await markJobCreated(tdb.db, id, 1);
  assert.equal(await requestJobCreateAgain(tdb.db, subjects, { ...req, request: 3 }), false, 'Job exists');
  const other = await admitted();
  assert.ok((await transition(tdb.db, subjects, { pipelineId: other, to: 'Cancelled' })).ok);
  assert.equal(
    await requestJobCreateAgain(tdb.db, subjects, { pipelineId: other, attempt: 1, request: 1, reason: 'x' }),
    false,
    'not for a pipeline that moved on',
  );
});

test('a pod disruption is recorded once per reason', async () => {
  const id = await admitted();
  assert.equal(await recordPodDisruption(tdb.db, id, 1, 'pod p-1 EvictionByEvictionAPI'), true);
  assert.equal(await recordPodDisruption(tdb.db, id, 1, 'pod p-1 EvictionByEvictionAPI'), false);
  assert.equal(await recordPodDisruption(tdb.db, id, 1, 'pod p-2 EvictionByEvictionAPI'), true);
  assert.equal(await recordPodDisruption(tdb.db, crypto.randomUUID(), 1, 'x'), false, 'unknown pipeline');
  const events = await tdb.db
    .selectFrom('pipeline_events')
    .select('reason')
    .where('pipeline_id', '=', id)
    .where('kind', '=', 'pod_disrupted')
    .execute();
  assert.equal(events.length, 2);
});

test('job holders: Running or admitted pipelines of the namespace, not waiting or finished ones', async () => {
  const ns = `ns-${crypto.randomUUID().slice(0, 8)}`;
  const a = await admitted(ns);
  const b = await admitted(ns);
  assert.ok((await transition(tdb.db, subjects, { pipelineId: b, to: 'Running' })).ok);
  const c = await admitted(ns);
  assert.ok((await transition(tdb.db, subjects, { pipelineId: c, to: 'Cancelled' })).ok);
  const holders = await listJobHolders(tdb.db, ns);
  assert.deepEqual(holders.map((h) => h.id).sort(), [a, b].sort());
});
