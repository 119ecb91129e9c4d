// The `queue` field of GET /pipelines/:id and the list, as the scheduler's passes leave it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PipelineResponse } from '@po/contracts';
import { admitQueued } from '@po/db';
import type { QueueView } from '../service/present.ts';
import { dataProcessing } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

type WithQueue = PipelineResponse & { queue: QueueView | null };

describe('queue reasons and positions', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('not looked at yet, then waiting for its tenant slot behind another, then waiting for Kubernetes', async () => {
    const auth = { authorization: `Bearer ${await h.key('qv', 'submitter')}` };
    const create = async () =>
      json<PipelineResponse>(await h.req('POST', '/pipelines', dataProcessing, auth));
    const get = async (id: string) =>
      json<WithQueue>(await h.req('GET', `/pipelines/${id}`, undefined, auth));
    const [a, b, c] = [await create(), await create(), await create()];

    const fresh = await get(b.id);
    assert.deepEqual(
      [fresh.queue?.reason, fresh.queue?.message, fresh.queue?.position, fresh.queue?.checked_at],
      ['Queued', 'queued; the scheduler has not looked at it yet', { tenant: 2, overall: 2 }, null],
    );

    const admitted = await admitQueued(h.deps.db, h.deps.subjects, { limit: 10, tenantMaxRunning: 1 });
    assert.deepEqual(
      admitted.map((p) => p.id),
      [a.id],
    );
    const first = await get(a.id);
    assert.equal(first.queue?.reason, 'WaitingForKubernetes');
    assert.equal(first.queue?.position, null);
    const second = await get(b.id);
    assert.deepEqual(
      [second.queue?.reason, second.queue?.message, second.queue?.position],
      ['TenantConcurrencyQuota', 'tenant qv has 1/1 pipelines running', { tenant: 1, overall: 1 }],
    );
    assert.ok(second.queue?.checked_at);

    const list = await json<WithQueue[]>(await h.req('GET', '/pipelines', undefined, auth));
    assert.deepEqual(
      list.map((p) => [p.id, p.queue?.reason, p.queue?.position?.tenant ?? null]),
      [
        [c.id, 'TenantConcurrencyQuota', 2],
        [b.id, 'TenantConcurrencyQuota', 1],
        [a.id, 'WaitingForKubernetes', null],
      ],
    );

    // A cancelled pipeline no longer waits.
    await h.req('POST', `/pipelines/${c.id}/cancel`, undefined, auth);
    assert.equal((await get(c.id)).queue, null);
  });
});
