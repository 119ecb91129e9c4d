// Admission with aging (a clock the test controls), CPU/memory quotas and the reasons it records.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { admitQueued, insertPipeline, queuePlaces, setTenantQuota, transition } from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

beforeEach(async () => {
  await tdb.db.deleteFrom('pipelines').execute();
  await tdb.db.deleteFrom('tenant_quotas').execute();
  await tdb.db.deleteFrom('queue_states').execute();
});

const T0 = Date.UTC(2026, 0, 1);
const at = (s: number) => new Date(T0 + s * 1000);
const RANK = { Low: 0, Normal: 1, High: 2, Critical: 3 } as const;

async function queue(
  priority: keyof typeof RANK,
  queuedAtS: number,
  more: { tenant?: string; cpu?: number; memory?: number } = {},
): Promise<string> {
  const r = await insertPipeline(
    tdb.db,
    subjects,
    newPipelineRow({
      tenant_id: more.tenant ?? 'default',
      priority,
      priority_rank: RANK[priority],
      queued_at: at(queuedAtS),
      cpu_millis: more.cpu ?? 100,
      memory_bytes: more.memory ?? 2 ** 20,
    }),
  );
  assert.ok(r.created);
  return r.pipeline.id;
}

const admitted = async (opts: Parameters<typeof admitQueued>[2]) =>
  (await admitQueued(tdb.db, subjects, opts)).map((p) => p.id);

const stateOf = (tenant: string) =>
  tdb.db.selectFrom('queue_states').selectAll().where('tenant_id', '=', tenant).executeTakeFirstOrThrow();

describe('aging', () => {
  test('fresh High goes before Low; a Low that waited two intervals goes before a High queued after it', async () => {
    const low = await queue('Low', 0);
    const highA = await queue('High', 100);
    // At 100 s with 60 s aging the Low is Normal (1): the High (2) goes first.
    assert.deepEqual(await admitted({ limit: 1, agingSeconds: 60, now: at(100) }), [highA]);
    const highB = await queue('High', 120);
    // At 125 s the Low has waited two intervals (rank 2) and is older than High B.
    assert.deepEqual(await admitted({ limit: 1, agingSeconds: 60, now: at(125) }), [low]);
    assert.deepEqual(await admitted({ limit: 1, agingSeconds: 60, now: at(125) }), [highB]);
  });

  test('without aging, priority is strict however long the Low waited', async () => {
    const low = await queue('Low', 0);
    const high = await queue('High', 10_000);
    assert.deepEqual(await admitted({ limit: 1, agingSeconds: 0, now: at(100_000) }), [high]);
    assert.deepEqual(await admitted({ limit: 1, agingSeconds: 0, now: at(100_000) }), [low]);
  });

  test('aging stops at the top rank: among aged pipelines the oldest goes first, a fresh Critical after them', async () => {
    const normal = await queue('Normal', 50);
    const low = await queue('Low', 0);
    const critical = await queue('Critical', 1_000);
    // Both have waited far more than 3 intervals: both are Critical, oldest (the Low) first.
    assert.deepEqual(await admitted({ limit: 3, agingSeconds: 10, now: at(1_000) }), [low, normal, critical]);
  });

  test("positions follow the same order at the reader's clock", async () => {
    const low = await queue('Low', 0);
    const high = await queue('High', 100, { tenant: 'other' });
    const early = await queuePlaces(tdb.db, [low, high], { agingSeconds: 60, now: at(100) });
    assert.deepEqual([early.get(high)?.overallPosition, early.get(low)?.overallPosition], [1, 2]);
    const late = await queuePlaces(tdb.db, [low, high], { agingSeconds: 60, now: at(125) });
    assert.deepEqual([late.get(low)?.overallPosition, late.get(high)?.overallPosition], [1, 2]);
    assert.deepEqual([late.get(low)?.tenantPosition, late.get(high)?.tenantPosition], [1, 1]);
    // One pipeline alone (GET) is counted, not numbered with the whole queue: the same answer.
    for (const [now, id, overall] of [
      [at(100), high, 1],
      [at(100), low, 2],
      [at(125), low, 1],
      [at(125), high, 2],
    ] as const) {
      const one = await queuePlaces(tdb.db, [id], { agingSeconds: 60, now });
      assert.deepEqual([one.get(id)?.overallPosition, one.get(id)?.tenantPosition], [overall, 1]);
    }
  });
});

describe('resource quotas', () => {
  test("a tenant's CPU in use plus its next pipeline's request must fit its quota; another tenant runs meanwhile", async () => {
    await setTenantQuota(tdb.db, 'small', { maxRunning: null, maxQueued: null, maxCpu: '250m' });
    const running = await queue('Normal', 0, { tenant: 'small' });
    assert.deepEqual(await admitted({ limit: 1 }), [running]);
    assert.ok((await transition(tdb.db, subjects, { pipelineId: running, to: 'Running' })).ok);
    const a = await queue('Normal', 1, { tenant: 'small' });
    const b = await queue('Normal', 2, { tenant: 'small' });
    const other = await queue('Normal', 3, { tenant: 'big', cpu: 4_000 });
    // 100m running + 100m (a) fits 250m; + 100m (b) would not.
    assert.deepEqual(await admitted({ limit: 10 }), [a, other]);
    const state = await stateOf('small');
    assert.equal(state.reason, 'TenantResourceQuota');
    assert.equal(state.message, "tenant small's next pipeline needs 100m CPU; 200m/250m CPU in use");
    assert.deepEqual(
      [state.details.cpu_millis, state.details.max_cpu_millis, state.details.next_cpu_millis],
      [200, 250, 100],
    );
    const places = await queuePlaces(tdb.db, [b]);
    assert.equal(places.get(b)?.reason, 'TenantResourceQuota');

    // The running one ends: its requests are no longer counted and b fits.
    assert.ok((await transition(tdb.db, subjects, { pipelineId: running, to: 'Succeeded' })).ok);
    assert.deepEqual(await admitted({ limit: 10 }), [b]);
  });

  test('memory counts the same way, and a large pipeline at the head is not overtaken by small ones', async () => {
    await setTenantQuota(tdb.db, 'mem', { maxRunning: null, maxQueued: null, maxMemory: '1Gi' });
    const half = await queue('High', 0, { tenant: 'mem', memory: 2 ** 29 });
    const large = await queue('Normal', 1, { tenant: 'mem', memory: 2 ** 30 });
    const small = await queue('Normal', 2, { tenant: 'mem', memory: 2 ** 20 });
    assert.deepEqual(await admitted({ limit: 10 }), [half]);
    const state = await stateOf('mem');
    assert.equal(state.reason, 'TenantResourceQuota');
    assert.equal(state.message, "tenant mem's next pipeline needs 1Gi memory; 512Mi/1Gi in use");
    assert.ok((await transition(tdb.db, subjects, { pipelineId: half, to: 'Cancelled' })).ok);
    assert.deepEqual(await admitted({ limit: 10 }), [large]);
    assert.equal((await queuePlaces(tdb.db, [small])).get(small)?.tenantPosition, 1);
  });

  test('the global CPU quota spans tenants', async () => {
    const a = await queue('High', 0, { tenant: 'a', cpu: 600 });
    const b = await queue('Normal', 1, { tenant: 'b', cpu: 600 });
    assert.deepEqual(await admitted({ limit: 10, maxCpuMillis: 1_000 }), [a]);
    const state = await stateOf('b');
    assert.equal(state.reason, 'GlobalQuota');
    assert.equal(state.message, 'the next pipeline needs 600m CPU; 600m/1 CPU in use in all');
    assert.ok((await transition(tdb.db, subjects, { pipelineId: a, to: 'Cancelled' })).ok);
    assert.deepEqual(await admitted({ limit: 10, maxCpuMillis: 1_000 }), [b]);
  });
});

describe('queue reasons', () => {
  test('concurrency, pause and global quota are recorded per tenant, one row each however long the queue', async () => {
    await setTenantQuota(tdb.db, 'paused', { maxRunning: 0, maxQueued: null });
    for (let i = 0; i < 5; i++) await queue('Normal', i, { tenant: 'full' });
    await queue('Normal', 0, { tenant: 'paused' });
    const ids = await admitted({ limit: 10, tenantMaxRunning: 2 });
    assert.equal(ids.length, 2);
    const full = await stateOf('full');
    assert.deepEqual(
      [full.reason, full.message, full.details.running, full.details.max_running],
      ['TenantConcurrencyQuota', 'tenant full has 2/2 pipelines running', 2, 2],
    );
    assert.equal((await stateOf('paused')).reason, 'TenantPaused');
    assert.equal(
      Number(
        (
          await tdb.db
            .selectFrom('queue_states')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      2,
    );

    await queue('Normal', 10, { tenant: 'third' });
    assert.deepEqual(await admitted({ limit: 10, tenantMaxRunning: 2, maxRunning: 2 }), []);
    const third = await stateOf('third');
    assert.deepEqual([third.reason, third.message], ['GlobalQuota', '2/2 pipelines running in all']);
  });

  test('more tenants than a pass admits: every tenant still gets its reason, and passes keep admission order', async () => {
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) expected.push(await queue('Normal', i, { tenant: `t${i % 4}` }));
    const first = await admitted({ limit: 2, tenantMaxRunning: 2 });
    assert.deepEqual(first, expected.slice(0, 2));
    const states = await tdb.db
      .selectFrom('queue_states')
      .select(['tenant_id', 'reason'])
      .orderBy('tenant_id')
      .execute();
    assert.deepEqual(
      states.map((r) => [r.tenant_id, r.reason]),
      [
        ['t0', 'Queued'],
        ['t1', 'Queued'],
        ['t2', 'Queued'],
        ['t3', 'Queued'],
      ],
    );
    const rest = [
      ...(await admitted({ limit: 3, tenantMaxRunning: 2 })),
      ...(await admitted({ limit: 3, tenantMaxRunning: 2 })),
    ];
    // Two per tenant: the first two rounds of t0..t3.
    assert.deepEqual(rest, expected.slice(2, 8));
    assert.equal((await stateOf('t0')).reason, 'TenantConcurrencyQuota');
  });
});
