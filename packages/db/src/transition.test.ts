import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canTransition, PIPELINE_STATUSES, type PipelineStatus, PipelineStatusChanged } from '@po/contracts';
import { sql } from 'kysely';
import { admitQueued, insertPipeline, transition } from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

async function newPipeline(overrides = {}) {
  const r = await insertPipeline(tdb.db, subjects, newPipelineRow(overrides));
  assert.ok(r.created);
  return r.pipeline;
}

/** Test setup only: put a pipeline straight into a status, bypassing the state machine. */
async function force(id: string, status: PipelineStatus, admitted = false) {
  await tdb.db
    .updateTable('pipelines')
    .set({ status, admitted_at: admitted ? new Date() : null })
    .where('id', '=', id)
    .execute();
}

const events = (id: string) =>
  tdb.db.selectFrom('pipeline_events').selectAll().where('pipeline_id', '=', id).orderBy('id').execute();
const outbox = (id: string) =>
  tdb.db.selectFrom('outbox').selectAll().where('msg_id', 'like', `${id}:%`).orderBy('id').execute();

describe('transition', () => {
  test('follows the transition table for every (from, to) pair', async () => {
    for (const from of PIPELINE_STATUSES) {
      for (const to of PIPELINE_STATUSES) {
        const p = await newPipeline();
        await force(p.id, from);
        const [ev0, ob0] = [(await events(p.id)).length, (await outbox(p.id)).length];
        const r = await transition(tdb.db, subjects, { pipelineId: p.id, to, reason: 'test' });
        const [ev1, ob1] = [(await events(p.id)).length, (await outbox(p.id)).length];
        const label = `${from} -> ${to}`;
        if (canTransition(from, to)) {
          assert.ok(r.ok, label);
          assert.equal(r.from, from, label);
          assert.equal(r.pipeline.status, to, label);
          assert.equal(ev1, ev0 + 1, label);
          assert.ok(ob1 > ob0, label);
        } else {
          assert.equal(r.ok, false, label);
          assert.equal(r.ok === false && r.current?.status, from, label);
          assert.equal(ev1, ev0, label);
          assert.equal(ob1, ob0, label);
        }
      }
    }
  });

  test('unknown pipeline, wrong tenant and stale attempt are refused', async () => {
    const p = await newPipeline();
    const missing = await transition(tdb.db, subjects, { pipelineId: crypto.randomUUID(), to: 'Cancelled' });
    assert.deepEqual(missing, { ok: false, current: undefined });
    const tenant = await transition(tdb.db, subjects, {
      pipelineId: p.id,
      to: 'Cancelled',
      tenantId: 'other',
    });
    assert.deepEqual(tenant, { ok: false, current: undefined });
    const stale = await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Cancelled', attempt: 2 });
    assert.equal(stale.ok, false);
    assert.ok((await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Cancelled', attempt: 1 })).ok);
  });

  test('a decision made from a status the pipeline has left is refused (found by the chaos suite, seed 1569282992)', async () => {
    // The watcher read the pipeline Running, then saw its Job gone (a cancel had deleted it) and
    // decided "retry": Running -> Queued. The cancel committed first, and Cancelled -> Queued is an
    // allowed edge (a restart), so without `from` the stale retry restarted a cancelled pipeline.
    const p = await newPipeline();
    await force(p.id, 'Running', true);
    assert.ok((await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Cancelled' })).ok);
    const [ev0, ob0] = [(await events(p.id)).length, (await outbox(p.id)).length];
    const stale = await transition(tdb.db, subjects, {
      pipelineId: p.id,
      attempt: 1,
      from: 'Running',
      to: 'Queued',
      reason: 'Retrying: the Job disappeared',
    });
    assert.equal(stale.ok, false);
    assert.equal(stale.ok === false && stale.current?.status, 'Cancelled');
    assert.equal((await events(p.id)).length, ev0, 'no event');
    assert.equal((await outbox(p.id)).length, ob0, 'no message');
    // The same step from the status it was decided from still applies.
    const q = await newPipeline();
    await force(q.id, 'Running', true);
    const fresh = await transition(tdb.db, subjects, {
      pipelineId: q.id,
      attempt: 1,
      from: 'Running',
      to: 'Queued',
    });
    assert.ok(fresh.ok);
  });

  test('a lost race writes nothing: exactly one winner, one event, one status message', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await newPipeline();
      await force(p.id, 'Running', true);
      const before = await outbox(p.id);
      const results = await Promise.all([
        transition(tdb.db, subjects, { pipelineId: p.id, to: 'Succeeded' }),
        transition(tdb.db, subjects, { pipelineId: p.id, to: 'Cancelled' }),
      ]);
      assert.equal(results.filter((r) => r.ok).length, 1);
      const loser = results.find((r) => !r.ok);
      const winner = results.find((r) => r.ok);
      assert.ok(loser && !loser.ok && winner?.ok);
      assert.equal(loser.current?.status, winner.pipeline.status);
      const transitions = (await events(p.id)).filter((e) => e.from_status === 'Running');
      assert.equal(transitions.length, 1);
      const added = (await outbox(p.id)).slice(before.length);
      assert.equal(added.filter((m) => m.subject === subjects.pipelineStatus(p.tenant_id, p.id)).length, 1);
      const [finished, ...more] = added.filter((m) => m.subject === subjects.pipelineFinished);
      assert.ok(finished && more.length === 0, 'one pipeline.finished');
      // The tenant rides along for the consumers' logs (tenant on every line).
      assert.equal((finished.payload as { data: { tenantId?: string } }).data.tenantId, p.tenant_id);
    }
  });

  test('insertPipeline writes the first event, a status and a queued message; idempotency key dedupes', async () => {
    const row = newPipelineRow({ idempotency_key: 'k1', tenant_id: 'acme' });
    const first = await insertPipeline(tdb.db, subjects, row);
    assert.ok(first.created);
    const again = await insertPipeline(tdb.db, subjects, { ...row, id: crypto.randomUUID() });
    assert.equal(again.created, false);
    assert.equal(!again.created && again.existing.id, row.id);
    const ev = await events(row.id);
    assert.deepEqual(
      ev.map((e) => [e.kind, e.from_status, e.to_status, e.attempt]),
      [['transition', null, 'Queued', 1]],
    );
    const ob = await outbox(row.id);
    assert.deepEqual(ob.map((m) => [m.subject, m.msg_id]).sort(), [
      [subjects.pipelineQueued, `${row.id}:1:queued`],
      [subjects.pipelineStatus('acme', row.id), `${row.id}:1:Queued:status`],
    ]);
    const status = PipelineStatusChanged.parse(
      ob.find((m) => m.subject !== subjects.pipelineQueued)?.payload,
    );
    assert.deepEqual(status.data, { from: null, to: 'Queued', reason: null });
  });

  test('derived messages, attempt rows and the attempt increment on retry and restart', async () => {
    const p = await newPipeline({ priority: 'Critical', priority_rank: 99 });
    const admitted = await admitQueued(tdb.db, subjects, { limit: 1 });
    assert.deepEqual(
      admitted.map((a) => a.id),
      [p.id],
    );
    const running = await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Running' });
    assert.ok(running.ok && running.pipeline.started_at);
    const a1Running = await tdb.db
      .selectFrom('pipeline_attempts')
      .select('status')
      .where('pipeline_id', '=', p.id)
      .where('attempt', '=', 1)
      .executeTakeFirstOrThrow();
    assert.equal(a1Running.status, 'Running', 'the running attempt shows Running');

    // Retry: Running -> Queued ends attempt 1 and queues attempt 2.
    const retry = await transition(tdb.db, subjects, {
      pipelineId: p.id,
      to: 'Queued',
      reason: 'pod evicted',
      exitCode: 137,
    });
    assert.ok(retry.ok);
    assert.equal(retry.pipeline.attempt, 2);
    assert.equal(retry.pipeline.admitted_at, null);
    assert.equal(retry.pipeline.reason, 'pod evicted');
    const a1 = await tdb.db
      .selectFrom('pipeline_attempts')
      .selectAll()
      .where('pipeline_id', '=', p.id)
      .where('attempt', '=', 1)
      .executeTakeFirstOrThrow();
    assert.equal(a1.status, 'Failed', "a retried attempt shows its own outcome, not the pipeline's Queued");
    assert.equal(a1.exit_code, 137);
    assert.equal(a1.reason, 'pod evicted');
    assert.ok(a1.finished_at && a1.started_at);

    // Queued but not admitted -> Cancelled: no Job can exist, so no finished message.
    const cancel = await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Cancelled' });
    assert.ok(cancel.ok && cancel.pipeline.finished_at);
    // Restart from a terminal status: attempt 3.
    const restart = await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Queued', reason: 'restart' });
    assert.ok(restart.ok);
    assert.equal(restart.pipeline.attempt, 3);
    assert.equal(restart.pipeline.finished_at, null);

    const ids = (await outbox(p.id)).map(
      (m) => `${m.subject === subjects.pipelineStatus(p.tenant_id, p.id) ? 'status' : m.subject}|${m.msg_id}`,
    );
    assert.deepEqual(ids, [
      `status|${p.id}:1:Queued:status`,
      `${subjects.pipelineQueued}|${p.id}:1:queued`,
      `${subjects.jobCreate}|${p.id}:1:create`,
      `status|${p.id}:1:Running:status`,
      `${subjects.pipelineFinished}|${p.id}:1:finished`,
      `status|${p.id}:2:Queued:status`,
      `${subjects.pipelineQueued}|${p.id}:2:queued`,
      `status|${p.id}:2:Cancelled:status`,
      `status|${p.id}:3:Queued:status`,
      `${subjects.pipelineQueued}|${p.id}:3:queued`,
    ]);
    const fin = (await outbox(p.id)).find((m) => m.subject === subjects.pipelineFinished);
    assert.deepEqual(fin?.payload && (fin.payload as { data: unknown }).data, {
      status: 'Queued',
      jobName: `pipeline-${p.id}-1`,
      namespace: 'default',
      reason: 'pod evicted',
      tenantId: p.tenant_id,
    });
  });

  test('an admitted Queued attempt that is cancelled gets a finished message for that attempt', async () => {
    const p = await newPipeline({ priority_rank: 100 });
    await admitQueued(tdb.db, subjects, { limit: 1 });
    const r = await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Cancelled', reason: 'user' });
    assert.ok(r.ok);
    const ob = await outbox(p.id);
    assert.ok(ob.some((m) => m.msg_id === `${p.id}:1:finished`));
  });

  test('joins the caller transaction and rolls back with it', async () => {
    const p = await newPipeline();
    await assert.rejects(
      tdb.db.transaction().execute(async (trx) => {
        const r = await transition(trx, subjects, { pipelineId: p.id, to: 'Cancelled' });
        assert.ok(r.ok);
        throw new Error('caller fails');
      }),
      /caller fails/,
    );
    const row = await tdb.db
      .selectFrom('pipelines')
      .select('status')
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'Queued');
    assert.equal((await outbox(p.id)).length, 2);
  });
});

test('a transition does not deadlock with a writer that updates the attempt and then records an event', async () => {
  const p = await newPipeline();
  await admitQueued(tdb.db, subjects, { limit: 100 });
  // Writer A (like markJobCreated): updates the attempt row, then inserts an event row whose foreign
  // key takes KEY SHARE on the pipeline — while a transition holds the pipeline and waits for the attempt.
  const a = await tdb.db.startTransaction().execute();
  await a
    .updateTable('pipeline_attempts')
    .set({ job_created_at: new Date() })
    .where('pipeline_id', '=', p.id)
    .execute();
  const b = transition(tdb.db, subjects, { pipelineId: p.id, to: 'Running' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const waiting = await sql<{ n: string }>`
      select count(*) as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(tdb.db);
    if (Number(waiting.rows[0]?.n) > 0) break;
    assert.ok(Date.now() < deadline, 'the transition never blocked on the attempt row');
    await new Promise((r) => setTimeout(r, 10));
  }
  await a
    .insertInto('pipeline_events')
    .values({
      pipeline_id: p.id,
      attempt: 1,
      kind: 'job_created',
      from_status: null,
      to_status: null,
      reason: null,
    })
    .execute();
  await a.commit().execute();
  const result = await b;
  assert.equal(result.ok, true);
});

describe('attempt outcomes', () => {
  const attemptRow = (id: string, attempt: number) =>
    tdb.db
      .selectFrom('pipeline_attempts')
      .selectAll()
      .where('pipeline_id', '=', id)
      .where('attempt', '=', attempt)
      .executeTakeFirstOrThrow();

  test('an admitted attempt shows Queued; a retry keeps the ended attempt its own status and reason', async () => {
    const p = await newPipeline();
    await admitQueued(tdb.db, subjects, { limit: 1000 });
    assert.equal((await attemptRow(p.id, 1)).status, 'Queued');
    assert.ok((await transition(tdb.db, subjects, { pipelineId: p.id, to: 'Running' })).ok);
    const retry = await transition(tdb.db, subjects, {
      pipelineId: p.id,
      attempt: 1,
      to: 'Queued',
      reason: 'Retrying: attempt 1 of 3 ended: JobDeleted',
      exitCode: null,
      attemptOutcome: { status: 'Failed', reason: 'JobDeleted: the Job disappeared' },
    });
    assert.ok(retry.ok);
    const a1 = await attemptRow(p.id, 1);
    assert.equal(a1.status, 'Failed');
    assert.equal(a1.reason, 'JobDeleted: the Job disappeared');
    assert.equal(retry.pipeline.reason, 'Retrying: attempt 1 of 3 ended: JobDeleted');
  });

  test('Queued -> Queued re-queues an admitted attempt as a new one, ending the old attempt', async () => {
    const p = await newPipeline();
    await admitQueued(tdb.db, subjects, { limit: 1000 });
    const r = await transition(tdb.db, subjects, {
      pipelineId: p.id,
      attempt: 1,
      to: 'Queued',
      reason: 'Retrying',
      attemptOutcome: { status: 'Failed', reason: 'JobDeleted' },
    });
    assert.ok(r.ok);
    assert.equal(r.pipeline.attempt, 2);
    assert.equal(r.pipeline.admitted_at, null);
    const a1 = await attemptRow(p.id, 1);
    assert.equal(a1.status, 'Failed');
    assert.ok(a1.finished_at);
    const fin = (await outbox(p.id)).filter((m) => m.subject === subjects.pipelineFinished);
    assert.equal(fin.length, 1, 'the old attempt is finished: its Job (if any) gets cleaned up');
  });
});
