/**
 * Tenant quotas as tenants see them: a tenant with more work than its quota waits for its own
 * slots, while another tenant's pipelines run beside it; the operator can change a quota live.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Stack, startStack, waitFor } from './fixture.ts';
import { registerGatedTemplate, settled, statusOf, submitGated, tenantAdmin } from './pipelines.ts';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { TENANT_MAX_RUNNING: '1', SCHEDULER_POLL_MS: '200' } });
});
after(async () => {
  await stack?.stop();
});

const running = (s: Stack, id: string) =>
  waitFor(`pipeline ${id} to run`, async () =>
    (await statusOf(s, id)).status === 'Running' ? true : undefined,
  );

interface Quota {
  tenant_id: string;
  max_running: number;
  overrides: { max_running: number | null };
  running: number;
  queued: number;
}
const quotaOf = async (s: Stack) => (await (await s.api('/quota')).json()) as Quota;

test("a tenant over its quota waits for its own slot; another tenant's pipeline runs meanwhile", async () => {
  const busy = await tenantAdmin(stack, 'busy');
  const other = await tenantAdmin(stack, 'other');
  await registerGatedTemplate(busy);
  await registerGatedTemplate(other);
  const gate = (name: string) => join(stack.dir, `gate-${name}`);

  const busy1 = await submitGated(busy, gate('busy1'));
  await running(busy, busy1.id);
  const busy2 = await submitGated(busy, gate('busy2'), { priority: 'Critical' });
  const other1 = await submitGated(other, gate('other1'), { priority: 'Low' });
  // Submitted after busy2, at a lower priority, and still it runs first: busy's one slot is taken.
  await running(other, other1.id);
  assert.equal((await statusOf(busy, busy2.id)).status, 'Queued');
  const busyQuota = await quotaOf(busy);
  assert.deepEqual(
    [busyQuota.max_running, busyQuota.overrides.max_running, busyQuota.running, busyQuota.queued],
    [1, null, 1, 1],
  );

  writeFileSync(gate('busy1'), '');
  assert.equal((await settled(busy, busy1.id)).status, 'Succeeded');
  await running(busy, busy2.id);
  for (const [s, p, name] of [
    [busy, busy2, 'busy2'],
    [other, other1, 'other1'],
  ] as const) {
    writeFileSync(gate(name), '');
    assert.equal((await settled(s, p.id)).status, 'Succeeded');
  }
});

test('raising a waiting tenant’s quota admits its queue without anything else finishing', async () => {
  const raised = await tenantAdmin(stack, 'raised');
  await registerGatedTemplate(raised);
  const gate = (name: string) => join(stack.dir, `gate-${name}`);
  const first = await submitGated(raised, gate('r1'));
  const second = await submitGated(raised, gate('r2'));
  await running(raised, first.id);
  assert.equal((await statusOf(raised, second.id)).status, 'Queued');

  const res = await stack.api('/quotas/raised', { method: 'PUT', body: JSON.stringify({ max_running: 2 }) });
  assert.equal(res.status, 200, await res.clone().text());
  await running(raised, second.id);
  const raisedQuota = await quotaOf(raised);
  assert.deepEqual(
    [raisedQuota.max_running, raisedQuota.overrides.max_running, raisedQuota.running, raisedQuota.queued],
    [2, 2, 2, 0],
  );
  for (const [p, name] of [
    [first, 'r1'],
    [second, 'r2'],
  ] as const) {
    writeFileSync(gate(name), '');
    assert.equal((await settled(raised, p.id)).status, 'Succeeded');
  }
});
