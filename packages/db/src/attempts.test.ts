import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitQueued, insertPipeline, markJobCreated, markJobDeleted } from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

async function admitted(): Promise<string> {
  const r = await insertPipeline(tdb.db, subjects, newPipelineRow());
  assert.ok(r.created);
  await admitQueued(tdb.db, subjects, { limit: 100 });
  return r.pipeline.id;
}

const eventsOf = (id: string) =>
  tdb.db
    .selectFrom('pipeline_events')
    .select(['kind', 'reason'])
    .where('pipeline_id', '=', id)
    .where('kind', 'not in', ['transition', 'admitted'])
    .orderBy('id')
    .execute();

test('each milestone is set once, with one event, however often it is reported', async () => {
  const id = await admitted();
  assert.equal(await markJobCreated(tdb.db, id, 1), true);
  assert.equal(await markJobCreated(tdb.db, id, 1), false);
  assert.equal(await markJobDeleted(tdb.db, id, 1), true);
  assert.equal(await markJobDeleted(tdb.db, id, 1), false);
  assert.equal(await markJobCreated(tdb.db, id, 2), false, 'no such attempt: nothing set');
  assert.deepEqual(await eventsOf(id), [
    { kind: 'job_created', reason: null },
    { kind: 'job_deleted', reason: null },
  ]);
  const attempt = await tdb.db
    .selectFrom('pipeline_attempts')
    .select(['job_created_at', 'job_deleted_at'])
    .where('pipeline_id', '=', id)
    .executeTakeFirstOrThrow();
  assert.ok(attempt.job_created_at && attempt.job_deleted_at);
});
