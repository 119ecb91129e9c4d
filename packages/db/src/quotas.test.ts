import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import {
  admitQueued,
  expireQueued,
  insertPipeline,
  queueTimeoutReason,
  setTenantQuota,
  tenantQuotaUsage,
  transition,
} from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

beforeEach(async () => {
  await tdb.db.deleteFrom('pipelines').execute();
  await tdb.db.deleteFrom('tenant_quotas').execute();
});

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

/** Queues n pipelines for a tenant, the i-th queued at second `from + i`; returns their ids. */
async function queue(tenant: string, n: number, opts: { rank?: number; from?: number } = {}) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = newPipelineRow({
      tenant_id: tenant,
      priority_rank: opts.rank ?? 1,
      queued_at: at((opts.from ?? 0) + i),
    });
    const r = await insertPipeline(tdb.db, subjects, row);
    assert.ok(r.created);
    ids.push(r.pipeline.id);
  }
  return ids;
}

test('a tenant at its quota waits while other tenants are admitted, in queue order', async () => {
  const greedy = await queue('greedy', 5, { rank: 3 }); // higher priority and older than the rest
  const modest = await queue('modest', 2, { from: 10 });
  const admitted = await admitQueued(tdb.db, subjects, { limit: 10, tenantMaxRunning: 2 });
  assert.deepEqual(
    admitted.map((p) => p.id),
    [greedy[0], greedy[1], modest[0], modest[1]],
  );
  assert.deepEqual(await admitQueued(tdb.db, subjects, { limit: 10, tenantMaxRunning: 2 }), []);
  assert.deepEqual(await tenantQuotaUsage(tdb.db, 'greedy'), {
    running: 2,
    queued: 3,
    cpuMillis: 0,
    memoryBytes: 0,
  });

  // One of greedy's pipelines finishes: exactly one slot opens, for its next pipeline in order.
  assert.ok((await transition(tdb.db, subjects, { pipelineId: greedy[0] ?? '', to: 'Running' })).ok);
  assert.ok((await transition(tdb.db, subjects, { pipelineId: greedy[0] ?? '', to: 'Succeeded' })).ok);
  const next = await admitQueued(tdb.db, subjects, { limit: 10, tenantMaxRunning: 2 });
  assert.deepEqual(
    next.map((p) => p.id),
    [greedy[2]],
  );
});

test("a tenant's own quota overrides the default; 0 pauses it, removing it restores the default", async () => {
  const big = await queue('big', 4);
  const paused = await queue('paused', 2, { from: 10 });
  await setTenantQuota(tdb.db, 'big', { maxRunning: 3, maxQueued: null });
  await setTenantQuota(tdb.db, 'paused', { maxRunning: 0, maxQueued: 5 });
  const admitted = await admitQueued(tdb.db, subjects, { limit: 10, tenantMaxRunning: 1 });
  assert.deepEqual(
    admitted.map((p) => p.id),
    big.slice(0, 3),
  );

  await setTenantQuota(tdb.db, 'paused', { maxRunning: null, maxQueued: 5 });
  const resumed = await admitQueued(tdb.db, subjects, { limit: 10, tenantMaxRunning: 1 });
  assert.deepEqual(
    resumed.map((p) => p.id),
    [paused[0]],
  );
  assert.deepEqual(await tenantQuotaUsage(tdb.db, 'paused'), {
    running: 1,
    queued: 1,
    cpuMillis: 0,
    memoryBytes: 0,
  });
});

test('the global quota still caps the sum over tenants', async () => {
  await queue('a', 3);
  await queue('b', 3, { from: 10 });
  const admitted = await admitQueued(tdb.db, subjects, { limit: 10, maxRunning: 4, tenantMaxRunning: 3 });
  assert.deepEqual(
    admitted.map((p) => p.tenant_id),
    ['a', 'a', 'a', 'b'],
  );
});

test('concurrent admitters never exceed a tenant quota', async () => {
  await queue('one', 10);
  const results = await Promise.all(
    Array.from({ length: 4 }, () => admitQueued(tdb.db, subjects, { limit: 2, tenantMaxRunning: 3 })),
  );
  assert.equal(results.flat().length, 3);
});

test('a pipeline waiting in the queue too long ends Timeout with the reason; admitted ones are left', async () => {
  const [old, admittedOld] = await queue('t', 2); // queued in 2026-01-01: long ago
  const fresh = await insertPipeline(tdb.db, subjects, newPipelineRow({ tenant_id: 't' }));
  assert.ok(fresh.created);
  // admittedOld is admitted first (a Job is on its way): the queue timeout is not its business.
  await tdb.db
    .updateTable('pipelines')
    .set({ admitted_at: new Date() })
    .where('id', '=', admittedOld ?? '')
    .execute();

  const ended = await expireQueued(tdb.db, subjects, { maxWaitSeconds: 60, limit: 100 });
  assert.deepEqual(
    ended.map((p) => p.id),
    [old],
  );
  const rows = await tdb.db.selectFrom('pipelines').select(['id', 'status', 'reason']).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  assert.deepEqual(byId.get(old ?? ''), { id: old, status: 'Timeout', reason: queueTimeoutReason(60) });
  assert.equal(byId.get(admittedOld ?? '')?.status, 'Queued');
  assert.equal(byId.get(fresh.pipeline.id)?.status, 'Queued');

  const events = await tdb.db
    .selectFrom('pipeline_events')
    .select(['from_status', 'to_status', 'reason'])
    .where('pipeline_id', '=', old ?? '')
    .where('kind', '=', 'transition')
    .orderBy('id')
    .execute();
  assert.deepEqual(events.at(-1), {
    from_status: 'Queued',
    to_status: 'Timeout',
    reason: 'QueueTimeout: not admitted within 60 s',
  });
  const notified = await tdb.db
    .selectFrom('outbox')
    .select('subject')
    .where('subject', '=', subjects.pipelineStatus('t', old ?? ''))
    .execute();
  assert.ok(notified.length >= 2, 'a status notification for Queued and for Timeout');
  // Nothing left to expire: a second sweep ends nothing.
  assert.deepEqual(await expireQueued(tdb.db, subjects, { maxWaitSeconds: 60, limit: 100 }), []);
});
