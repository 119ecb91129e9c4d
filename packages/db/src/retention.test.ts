import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { PipelineStatus } from '@po/contracts';
import { sql } from 'kysely';
import { insertPipeline, type RetentionKind, sweepBatch } from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const DAY = 86_400;
const daysAgo = (d: number) => sql<Date>`now() - make_interval(secs => ${d * DAY})`;

beforeEach(async () => {
  await tdb.db.deleteFrom('pipelines').execute();
  await tdb.db.deleteFrom('outbox').execute();
  await tdb.db.deleteFrom('audit_log').execute();
});

/** A pipeline in `status`, finished `finishedDaysAgo` days ago (null: not finished), with an attempt, events and 3 log lines. */
async function pipeline(status: PipelineStatus, finishedDaysAgo: number | null): Promise<string> {
  const r = await insertPipeline(tdb.db, tdb.subjects, newPipelineRow());
  assert.ok(r.created);
  const id = r.pipeline.id;
  await tdb.db
    .updateTable('pipelines')
    .set({ status, finished_at: finishedDaysAgo === null ? null : daysAgo(finishedDaysAgo) })
    .where('id', '=', id)
    .execute();
  await tdb.db
    .insertInto('pipeline_attempts')
    .values({ pipeline_id: id, attempt: 1, job_name: `pipeline-${id}-1`, namespace: 'default' })
    .execute();
  await tdb.db
    .insertInto('pipeline_logs')
    .values([1, 2, 3].map((i) => ({ pipeline_id: id, attempt: 1, pod_name: 'p', line: `line ${i}` })))
    .execute();
  return id;
}

const count = async (
  table: 'pipelines' | 'pipeline_attempts' | 'pipeline_events' | 'pipeline_logs',
  id: string,
) => {
  const col = table === 'pipelines' ? 'id' : 'pipeline_id';
  const r = await sql<{
    n: string;
  }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(col)} = ${id}`.execute(tdb.db);
  return Number(r.rows[0]?.n);
};

/** Sweeps `kind` to exhaustion one row (or pipeline) per batch; returns the batches' counts. */
async function sweepAll(kind: RetentionKind, days: number): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const n = await sweepBatch(tdb.db, kind, { maxAgeSeconds: days * DAY, limit: 1 });
    if (n === 0) return out;
    out.push(n);
  }
}

test('finished pipelines past retention go with their attempts, events and logs; nothing else does', async () => {
  const old = await pipeline('Succeeded', 40);
  const oldFailed = await pipeline('Failed', 31);
  const young = await pipeline('Cancelled', 29);
  const running = await pipeline('Running', null);
  await sql`update pipelines set created_at = ${daysAgo(100)} where id = ${running}`.execute(tdb.db);
  assert.ok((await count('pipeline_events', old)) > 0, 'insertPipeline wrote an event');

  assert.deepEqual(await sweepAll('pipelines', 30), [1, 1], 'small batches, one pipeline each');
  for (const id of [old, oldFailed]) {
    for (const t of ['pipelines', 'pipeline_attempts', 'pipeline_events', 'pipeline_logs'] as const)
      assert.equal(await count(t, id), 0, `${t} of an expired pipeline`);
  }
  for (const id of [young, running]) {
    assert.equal(await count('pipelines', id), 1);
    assert.equal(await count('pipeline_logs', id), 3);
    assert.equal(await count('pipeline_attempts', id), 1);
  }
});

test('logs alone expire earlier: the pipeline stays; a swept pipeline is not looked at again until it finishes anew', async () => {
  const old = await pipeline('Failed', 10);
  const young = await pipeline('Succeeded', 1);
  const running = await pipeline('Running', null);

  assert.deepEqual(await sweepAll('logs', 7), [3], 'the expired pipeline’s 3 lines, in one batch');
  assert.equal(await count('pipeline_logs', old), 0);
  assert.equal(await count('pipelines', old), 1);
  assert.equal(await count('pipeline_attempts', old), 1);
  assert.equal(await count('pipeline_logs', young), 3);
  assert.equal(await count('pipeline_logs', running), 3);
  assert.deepEqual(await sweepAll('logs', 7), [], 'nothing left to do');

  // Restarted and finished again (a new finished_at), its new logs expire in their turn.
  await tdb.db
    .updateTable('pipelines')
    .set({ finished_at: daysAgo(8) })
    .where('id', '=', old)
    .execute();
  await tdb.db
    .insertInto('pipeline_logs')
    .values({ pipeline_id: old, attempt: 2, pod_name: 'p', line: 'again' })
    .execute();
  assert.deepEqual(await sweepAll('logs', 7), [1]);
});

test('published outbox rows past retention go; unpublished ones never do', async () => {
  const row = (msgId: string, publishedDaysAgo: number | null, createdDaysAgo: number) =>
    tdb.db
      .insertInto('outbox')
      .values({
        msg_id: msgId,
        subject: 's',
        payload: '{}',
        headers: '{}',
        created_at: daysAgo(createdDaysAgo),
        published_at: publishedDaysAgo === null ? null : daysAgo(publishedDaysAgo),
      })
      .execute();
  await row('old-published', 8, 8);
  await row('young-published', 6, 6);
  await row('old-unpublished', null, 100);
  assert.deepEqual(await sweepAll('outbox', 7), [1]);
  const left = await tdb.db.selectFrom('outbox').select('msg_id').orderBy('msg_id').execute();
  assert.deepEqual(
    left.map((r) => r.msg_id),
    ['old-unpublished', 'young-published'],
  );
});

test('audit rows past retention go, in batches', async () => {
  const row = (action: string, d: number) =>
    tdb.db
      .insertInto('audit_log')
      .values({ actor: 'a', action, outcome: 'ok', at: daysAgo(d) })
      .execute();
  await row('old-1', 400);
  await row('old-2', 366);
  await row('young', 364);
  assert.deepEqual(await sweepAll('audit', 365), [1, 1]);
  const left = await tdb.db.selectFrom('audit_log').select('action').execute();
  assert.deepEqual(
    left.map((r) => r.action),
    ['young'],
  );
});

test('two sweepers at once (scheduler replicas) delete each expired row once and count it once', async () => {
  const n = 40;
  await tdb.db
    .insertInto('audit_log')
    .values(
      Array.from({ length: n }, (_, i) => ({ actor: 'a', action: `a${i}`, outcome: 'ok', at: daysAgo(400) })),
    )
    .execute();
  const sweeper = async () => {
    let total = 0;
    for (;;) {
      const got = await sweepBatch(tdb.db, 'audit', { maxAgeSeconds: 365 * DAY, limit: 3 });
      if (got === 0) return total;
      total += got;
    }
  };
  const counts = await Promise.all([sweeper(), sweeper()]);
  assert.equal(counts[0] + counts[1], n);
  assert.equal((await tdb.db.selectFrom('audit_log').select('id').execute()).length, 0);
});
