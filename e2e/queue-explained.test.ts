/**
 * A queue that explains itself, is fair to the patient and counts resources, as a user sees it:
 * a queued pipeline says why it waits and where it stands, and both change as its tenant's quota
 * fills and empties; a Low pipeline is admitted within its aging bound while High ones keep
 * arriving; a tenant at its CPU quota waits while another tenant's pipeline runs, and a pipeline
 * that could never fit its tenant's quota is refused at once.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ErrorBody } from '@po/contracts';
import { type Stack, startStack, waitFor } from './fixture.ts';
import {
  type Created,
  registerGatedTemplate,
  settled,
  statusOf,
  submitGated,
  tenantAdmin,
} from './pipelines.ts';

/** One priority level per AGING_S seconds of waiting. */
const AGING_S = 3;

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { SCHEDULER_AGING_SECONDS: String(AGING_S), SCHEDULER_POLL_MS: '200' } });
});
after(async () => {
  await stack?.stop();
});

interface Queue {
  reason: string;
  message: string;
  details: Record<string, number | string | null>;
  position: { tenant: number; overall: number } | null;
}
interface Detail {
  id: string;
  status: string;
  queue?: Queue | null;
  timing: { queued_at: string; admitted_at: string | null };
}

const detail = async (s: Stack, id: string) => (await (await s.api(`/pipelines/${id}`)).json()) as Detail;
const gate = (name: string) => join(stack.dir, `gate-${name}`);
const running = (s: Stack, id: string) =>
  waitFor(`pipeline ${id} to run`, async () =>
    (await statusOf(s, id)).status === 'Running' ? true : undefined,
  );
/** Waits until the pipeline's queue info is as expected (the scheduler records it on its next pass). */
const queueIs = (s: Stack, id: string, want: (q: Queue) => boolean, what: string) =>
  waitFor(`pipeline ${id}: ${what}`, async () => {
    const q = (await detail(s, id)).queue;
    return q && want(q) ? q : undefined;
  });
async function finish(s: Stack, p: Created, name: string): Promise<void> {
  writeFileSync(gate(name), '');
  assert.equal((await settled(s, p.id)).status, 'Succeeded');
}
async function setQuota(tenant: string, body: Record<string, unknown>): Promise<void> {
  const res = await stack.api(`/quotas/${tenant}`, { method: 'PUT', body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.clone().text());
}

test("a queued pipeline's reason and position change as its tenant's quota fills and empties", async () => {
  const t = await tenantAdmin(stack, 'explained');
  await registerGatedTemplate(t);
  await setQuota('explained', { max_running: 1 });

  const first = await submitGated(t, gate('e1'));
  await running(t, first.id);
  assert.equal((await detail(t, first.id)).queue, null, 'a running pipeline does not wait');
  const second = await submitGated(t, gate('e2'));
  const third = await submitGated(t, gate('e3'));

  const q2 = await queueIs(t, second.id, (q) => q.reason === 'TenantConcurrencyQuota', 'tenant quota full');
  assert.equal(q2.message, 'tenant explained has 1/1 pipelines running');
  assert.deepEqual([q2.details.running, q2.details.max_running], [1, 1]);
  assert.equal(q2.position?.tenant, 1);
  const q3 = await queueIs(t, third.id, (q) => q.reason === 'TenantConcurrencyQuota', 'tenant quota full');
  assert.equal(q3.position?.tenant, 2);
  assert.ok((q3.position?.overall ?? 0) > (q2.position?.overall ?? 0));
  // The list says the same.
  const listed = (await (await t.api('/pipelines?status=Queued')).json()) as Detail[];
  assert.deepEqual(
    listed.map((p) => [p.id, p.queue?.reason, p.queue?.position?.tenant]).sort(),
    [
      [second.id, 'TenantConcurrencyQuota', 1],
      [third.id, 'TenantConcurrencyQuota', 2],
    ].sort(),
  );

  // The quota empties: the second runs, the third moves up.
  await finish(t, first, 'e1');
  await running(t, second.id);
  const moved = await queueIs(t, third.id, (q) => q.position?.tenant === 1, 'first in its queue');
  assert.equal(moved.reason, 'TenantConcurrencyQuota');

  // Paused: the reason says so.
  await setQuota('explained', { max_running: 0 });
  await queueIs(t, third.id, (q) => q.reason === 'TenantPaused', 'tenant paused');

  // Room again: it is admitted and no longer waits.
  await setQuota('explained', { max_running: 2 });
  await running(t, third.id);
  assert.equal((await detail(t, third.id)).queue, null);
  await finish(t, second, 'e2');
  await finish(t, third, 'e3');
});

test('a Low pipeline is admitted within its aging bound while High ones keep arriving', async () => {
  const t = await tenantAdmin(stack, 'patient');
  await registerGatedTemplate(t);
  await setQuota('patient', { max_running: 1 });
  let current = await submitGated(t, gate('blocker'), { priority: 'High' });
  let currentName = 'blocker';
  await running(t, current.id);
  const low = await submitGated(t, gate('low'), { priority: 'Low' });
  const lowQueuedAt = Date.parse((await detail(t, low.id)).timing.queued_at);

  // Every round a fresh High arrives and the running pipeline ends: whoever is admitted next runs.
  const waiting = new Map<string, Created>([['low', low]]);
  const highsBefore: Detail[] = [];
  // Low reaches High's level after two aging intervals and then goes first (it has waited longest).
  // The bound is time, not rounds: on a fast machine forty rounds take less than those intervals.
  const bound = lowQueuedAt + (2 * AGING_S + 10) * 1000;
  for (let round = 0; ; round++) {
    assert.ok(Date.now() < bound, `the Low pipeline was not admitted within ${2 * AGING_S + 10} s`);
    waiting.set(`high-${round}`, await submitGated(t, gate(`high-${round}`), { priority: 'High' }));
    await finish(t, current, currentName);
    const [name, next] = await waitFor('the next pipeline to run', async () => {
      for (const [n, p] of waiting)
        if ((await statusOf(t, p.id)).status === 'Running') return [n, p] as const;
      return undefined;
    });
    waiting.delete(name);
    current = next;
    currentName = name;
    if (name === 'low') break;
    highsBefore.push(await detail(t, next.id));
  }
  // Fresh High work kept its precedence: the first High went before the Low ...
  assert.ok(highsBefore.length >= 1, 'a fresh High goes before a fresh Low');
  // ... and no High queued two aging intervals (Low → High) or more after the Low went before it.
  for (const h of highsBefore) {
    const lag = (Date.parse(h.timing.queued_at) - lowQueuedAt) / 1000;
    assert.ok(lag < 2 * AGING_S, `a High queued ${lag} s after the Low was admitted before it`);
  }
  await setQuota('patient', { max_running: 10 });
  await finish(t, current, currentName);
  for (const [name, p] of waiting) await finish(t, p, name);
});

test("a tenant at its CPU quota waits while another tenant's pipeline runs; one that could never fit is refused", async () => {
  // The gated template asks 50m CPU: one fits in 80m, two do not.
  const small = await tenantAdmin(stack, 'cpu-small');
  const other = await tenantAdmin(stack, 'cpu-other');
  await registerGatedTemplate(small);
  await registerGatedTemplate(other);
  await setQuota('cpu-small', { max_cpu: '80m', max_memory: '1Gi' });
  await setQuota('cpu-other', { max_cpu: '1' });

  const s1 = await submitGated(small, gate('s1'));
  await running(small, s1.id);
  const s2 = await submitGated(small, gate('s2'));
  const q = await queueIs(small, s2.id, (x) => x.reason === 'TenantResourceQuota', 'CPU quota full');
  assert.equal(q.message, "tenant cpu-small's next pipeline needs 50m CPU; 50m/80m CPU in use");
  assert.deepEqual([q.details.cpu_millis, q.details.max_cpu_millis], [50, 80]);
  const quota = (await (await small.api('/quota')).json()) as Record<string, unknown>;
  assert.deepEqual(
    [quota.max_cpu, quota.cpu_requested, quota.memory_requested, quota.running, quota.queued],
    ['80m', '50m', '64Mi', 1, 1],
  );

  // Another tenant's pipeline runs meanwhile.
  const o1 = await submitGated(other, gate('o1'), { priority: 'Low' });
  await running(other, o1.id);
  assert.equal((await statusOf(small, s2.id)).status, 'Queued');

  // A pipeline that could never fit: refused at create, nothing queued.
  await setQuota('cpu-small', { max_cpu: '40m' });
  const res = await small.api('/pipelines', {
    method: 'POST',
    body: JSON.stringify({
      pipeline_type: { Custom: { template: 'gated' } },
      config: { gate_path: gate('never') },
      priority: 'Normal',
    }),
  });
  const err = (await res.json()) as ErrorBody;
  assert.equal(res.status, 400, err.error);
  assert.equal(err.type, 'InvalidConfig');
  assert.match(
    err.error,
    /requests 50m CPU .*tenant cpu-small's CPU quota of 40m: it could never be admitted/,
  );
  assert.equal(((await (await small.api('/quota')).json()) as { queued: number }).queued, 1);

  // The running one ends and the quota is back: the waiting one runs.
  await setQuota('cpu-small', { max_cpu: '80m' });
  await finish(small, s1, 's1');
  await running(small, s2.id);
  await finish(small, s2, 's2');
  await finish(other, o1, 'o1');
});
