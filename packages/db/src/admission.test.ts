import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { JobCreate } from '@po/contracts';
import { admitQueued, insertPipeline, transition } from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

beforeEach(async () => {
  await tdb.db.deleteFrom('pipelines').execute();
});

async function queue(n: number, rank: number, queuedAt: (i: number) => Date) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = newPipelineRow({ priority_rank: rank, queued_at: queuedAt(i) });
    const r = await insertPipeline(tdb.db, subjects, row);
    assert.ok(r.created);
    ids.push(r.pipeline.id);
  }
  return ids;
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

test('admits by priority, then age, up to the limit, with attempt row, event and JobCreate', async () => {
  const low = await queue(2, 0, (i) => at(i));
  const high = await queue(2, 3, (i) => at(10 - i)); // the later-inserted one is older
  const normal = await queue(1, 1, () => at(0));
  const first = await admitQueued(tdb.db, subjects, { limit: 3 });
  assert.deepEqual(
    first.map((p) => p.id),
    [high[1], high[0], normal[0]],
  );
  assert.ok(first.every((p) => p.admitted_at !== null));
  const rest = await admitQueued(tdb.db, subjects, { limit: 10 });
  assert.deepEqual(
    rest.map((p) => p.id),
    low,
  );
  assert.deepEqual(await admitQueued(tdb.db, subjects, { limit: 10 }), []);

  const id = high[1] ?? '';
  const attempt = await tdb.db
    .selectFrom('pipeline_attempts')
    .selectAll()
    .where('pipeline_id', '=', id)
    .executeTakeFirstOrThrow();
  assert.equal(attempt.job_name, `pipeline-${id}-1`);
  const events = await tdb.db
    .selectFrom('pipeline_events')
    .select('kind')
    .where('pipeline_id', '=', id)
    .execute();
  assert.deepEqual(
    events.map((e) => e.kind),
    ['transition', 'admitted'],
  );
  const cmd = await tdb.db
    .selectFrom('outbox')
    .selectAll()
    .where('msg_id', '=', `${id}:1:create`)
    .executeTakeFirstOrThrow();
  assert.equal(cmd.subject, subjects.jobCreate);
  // Ids, not orders (invariant 10): the job-runner reads what to run from the database.
  const msg = JobCreate.parse(cmd.payload);
  assert.deepEqual([msg.pipelineId, msg.attempt, msg.data], [id, 1, {}]);
  assert.deepEqual(Object.keys(cmd.payload as object).includes('job'), false);
  assert.deepEqual((cmd.payload as { data: unknown }).data, {});
});

test('maxRunning counts Running and admitted Queued pipelines', async () => {
  const ids = await queue(4, 1, (i) => at(i));
  assert.equal((await admitQueued(tdb.db, subjects, { limit: 10, maxRunning: 2 })).length, 2);
  assert.equal((await admitQueued(tdb.db, subjects, { limit: 10, maxRunning: 2 })).length, 0);
  assert.ok((await transition(tdb.db, subjects, { pipelineId: ids[0] ?? '', to: 'Running' })).ok);
  assert.equal((await admitQueued(tdb.db, subjects, { limit: 10, maxRunning: 2 })).length, 0);
  assert.ok((await transition(tdb.db, subjects, { pipelineId: ids[0] ?? '', to: 'Succeeded' })).ok);
  const next = await admitQueued(tdb.db, subjects, { limit: 10, maxRunning: 2 });
  assert.deepEqual(
    next.map((p) => p.id),
    [ids[2]],
  );
});

test('concurrent admitters never admit the same row twice', async () => {
  const ids = await queue(30, 1, (i) => at(i));
  const seen: string[] = [];
  const admitter = async () => {
    for (;;) {
      const batch = await admitQueued(tdb.db, subjects, { limit: 3 });
      if (batch.length === 0) return;
      seen.push(...batch.map((p) => p.id));
    }
  };
  await Promise.all([admitter(), admitter(), admitter()]);
  assert.equal(seen.length, ids.length);
  assert.deepEqual([...seen].sort(), [...ids].sort());
});

test('concurrent admitters respect maxRunning', async () => {
  await queue(10, 1, (i) => at(i));
  const results = await Promise.all(
    Array.from({ length: 4 }, () => admitQueued(tdb.db, subjects, { limit: 2, maxRunning: 3 })),
  );
  assert.equal(results.flat().length, 3);
});
