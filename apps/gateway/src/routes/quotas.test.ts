import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import { dataProcessing, startRunning } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

interface Quota {
  tenant_id: string;
  max_running: number;
  max_queued: number;
  max_cpu: string | null;
  max_memory: string | null;
  max_cpu_millis: number | null;
  max_memory_bytes: number | null;
  overrides: {
    max_running: number | null;
    max_queued: number | null;
    max_cpu: string | null;
    max_memory: string | null;
  };
  running: number;
  queued: number;
  cpu_requested: string;
  memory_requested: string;
  cpu_millis: number;
  memory_bytes: number;
}

const DEFAULTS = { max_running: null, max_queued: null, max_cpu: null, max_memory: null };
const NO_RESOURCES = {
  max_cpu: null,
  max_memory: null,
  max_cpu_millis: null,
  max_memory_bytes: null,
  cpu_requested: '0',
  memory_requested: '0',
  cpu_millis: 0,
  memory_bytes: 0,
};

describe('tenant quotas', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ quotas: { maxRunning: 5, maxQueued: 1000 } });
  });
  after(() => h.close());

  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  test('GET /quota shows the default and what the tenant has running and queued', async () => {
    const submitter = await h.key('usage', 'submitter');
    const viewer = await h.key('usage', 'viewer');
    const empty = await h.req('GET', '/quota', undefined, as(viewer));
    assert.equal(empty.status, 200);
    assert.deepEqual(await json<Quota>(empty), {
      tenant_id: 'usage',
      max_running: 5,
      max_queued: 1000,
      overrides: DEFAULTS,
      running: 0,
      queued: 0,
      ...NO_RESOURCES,
    });

    const created: PipelineResponse[] = [];
    for (let i = 0; i < 3; i++) {
      created.push(
        await json<PipelineResponse>(await h.req('POST', '/pipelines', dataProcessing, as(submitter))),
      );
    }
    await startRunning(h.deps, created[0]?.id ?? '');
    // Another tenant's pipelines are not counted.
    await h.req('POST', '/pipelines', dataProcessing);
    const used = await json<Quota>(await h.req('GET', '/quota', undefined, as(viewer)));
    assert.deepEqual([used.running, used.queued], [1, 2]);
    // The running one's requests (data-processing: 100m CPU, 256Mi) are in use; the queued ones' are not.
    assert.deepEqual(
      [used.cpu_requested, used.memory_requested, used.cpu_millis, used.memory_bytes],
      ['100m', '256Mi', 100, 256 * 2 ** 20],
    );
  });

  test("the operator sets a tenant's quota; the tenant sees it; null returns it to the default", async () => {
    const tenantKey = await h.key('acme', 'viewer');
    const set = await h.req('PUT', '/quotas/acme', { max_running: 2 });
    assert.equal(set.status, 200);
    assert.deepEqual(await json<Quota>(set), {
      tenant_id: 'acme',
      max_running: 2,
      max_queued: 1000,
      overrides: { max_running: 2, max_queued: null, max_cpu: null, max_memory: null },
      running: 0,
      queued: 0,
      ...NO_RESOURCES,
    });
    assert.equal((await json<Quota>(await h.req('GET', '/quota', undefined, as(tenantKey)))).max_running, 2);

    // PUT replaces: what is left out returns to the default.
    const paused = await json<Quota>(await h.req('PUT', '/quotas/acme', { max_queued: 0 }));
    assert.deepEqual(
      [paused.max_running, paused.max_queued, paused.overrides],
      [5, 0, { max_running: null, max_queued: 0, max_cpu: null, max_memory: null }],
    );

    const reset = await json<Quota>(
      await h.req('PUT', '/quotas/acme', { max_running: null, max_queued: null }),
    );
    assert.deepEqual([reset.max_running, reset.max_queued, reset.overrides], [5, 1000, DEFAULTS]);
  });

  test("only the operator sets quotas: a tenant's own admin gets 403, and it is audited", async () => {
    const admin = await h.key('acme', 'admin');
    const res = await h.req(
      'PUT',
      '/quotas/acme',
      { max_running: 100 },
      { ...as(admin), 'x-request-id': 'q-1' },
    );
    assert.equal(res.status, 403);
    assert.equal((await json<ErrorBody>(res)).type, 'Forbidden');
    const submitter = await h.key('acme', 'submitter');
    assert.equal((await h.req('PUT', '/quotas/acme', { max_running: 100 }, as(submitter))).status, 403);
    assert.deepEqual(
      (await json<Quota>(await h.req('GET', '/quota', undefined, as(admin)))).overrides,
      DEFAULTS,
    );

    await h.req('PUT', '/quotas/acme', { max_running: 3 }, { 'x-request-id': 'q-2' });
    const rows = await h.deps.db
      .selectFrom('audit_log')
      .select(['request_id', 'action', 'target', 'outcome'])
      .where('request_id', 'in', ['q-1', 'q-2'])
      .orderBy('id')
      .execute();
    assert.deepEqual(rows, [
      { request_id: 'q-1', action: 'quota.set', target: 'acme', outcome: 'Forbidden' },
      { request_id: 'q-2', action: 'quota.set', target: 'acme', outcome: 'ok' },
    ]);
  });

  test('bad quota bodies and tenant names are 400 with the field named', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/quotas/acme', { max_running: -1 }, /max_running/],
      ['/quotas/acme', { max_running: 1.5 }, /max_running/],
      ['/quotas/acme', { max_running: 'ten' }, /max_running/],
      ['/quotas/acme', { max_queued: -5 }, /max_queued/],
      ['/quotas/acme', { max_running: 1, burst: 2 }, /burst/],
      ['/quotas/Not_A_Tenant', { max_running: 1 }, /tenant/],
      ['/quotas/acme', { max_cpu: 'lots' }, /max_cpu/],
      ['/quotas/acme', { max_cpu: 4 }, /max_cpu/],
      ['/quotas/acme', { max_memory: '1GB' }, /max_memory/],
      ['/quotas/acme', { max_memory: '1e30' }, /max_memory/],
    ];
    for (const [path, body, field] of cases) {
      const res = await h.req('PUT', path, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = await json<ErrorBody>(res);
      assert.equal(err.type, 'InvalidConfig');
      assert.match(err.error, field);
    }
  });

  test('a tenant whose queue is at max_queued gets 429 ResourceQuotaExceeded with Retry-After', async () => {
    const submitter = as(await h.key('capped', 'submitter'));
    assert.equal((await h.req('PUT', '/quotas/capped', { max_queued: 2 })).status, 200);
    const first = await h.req('POST', '/pipelines', dataProcessing, {
      ...submitter,
      'idempotency-key': 'cap-1',
    });
    assert.equal(first.status, 201);
    assert.equal((await h.req('POST', '/pipelines', dataProcessing, submitter)).status, 201);

    const refused = await h.req('POST', '/pipelines', dataProcessing, submitter);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.deepEqual(await json<ErrorBody>(refused), {
      error: 'Resource quota exceeded: queued pipelines (at most 2 waiting per tenant)',
      type: 'ResourceQuotaExceeded',
    });
    // Nothing was queued by the refusal; other tenants are not affected.
    assert.equal((await json<Quota>(await h.req('GET', '/quota', undefined, submitter))).queued, 2);
    assert.equal((await h.req('POST', '/pipelines', dataProcessing)).status, 201);

    // The replay of an accepted idempotent request still answers its pipeline.
    const replay = await h.req('POST', '/pipelines', dataProcessing, {
      ...submitter,
      'idempotency-key': 'cap-1',
    });
    assert.equal(replay.status, 200);
    const p = await json<PipelineResponse>(first);
    assert.equal((await json<PipelineResponse>(replay)).id, p.id);

    // A place frees up when one leaves the queue.
    assert.equal((await h.req('POST', `/pipelines/${p.id}/cancel`, undefined, submitter)).status, 200);
    assert.equal((await h.req('POST', '/pipelines', dataProcessing, submitter)).status, 201);
  });

  test('CPU and memory quotas: set as quantities, shown in base units; a pipeline that could never fit is 400', async () => {
    const submitter = as(await h.key('sized', 'submitter'));
    const set = await json<Quota>(
      await h.req('PUT', '/quotas/sized', { max_cpu: '150m', max_memory: '1Gi' }),
    );
    assert.deepEqual(
      [set.max_cpu, set.max_memory, set.max_cpu_millis, set.max_memory_bytes, set.overrides],
      [
        '150m',
        '1Gi',
        150,
        2 ** 30,
        { max_running: null, max_queued: null, max_cpu: '150m', max_memory: '1Gi' },
      ],
    );
    // data-processing asks 100m: it fits (and waits for room when the quota is in use).
    assert.equal((await h.req('POST', '/pipelines', dataProcessing, submitter)).status, 201);
    // model-training asks 500m: it never could.
    const refused = await h.req(
      'POST',
      '/pipelines',
      { pipeline_type: 'ModelTraining', config: { dataset_path: '/d' }, priority: 'High' },
      submitter,
    );
    const err = await json<ErrorBody>(refused);
    assert.equal(refused.status, 400, err.error);
    assert.equal(err.type, 'InvalidConfig');
    assert.match(
      err.error,
      /requests 500m CPU .*more than tenant sized's CPU quota of 150m: it could never be admitted/,
    );
    // Nothing was stored by the refusal.
    assert.equal((await json<Quota>(await h.req('GET', '/quota', undefined, submitter))).queued, 1);
  });
});
