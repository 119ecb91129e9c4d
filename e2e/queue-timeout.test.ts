/**
 * The queue timeout as a user sees it: a pipeline that cannot be admitted (its tenant is paused
 * with a quota of 0) ends Timeout with the reason, and no Job is ever created for it; other
 * tenants' pipelines run as usual.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NAMESPACE, type Stack, startStack } from './fixture.ts';
import { settled, submit, tenantAdmin } from './pipelines.ts';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { SCHEDULER_QUEUE_TIMEOUT_SECONDS: '3', SCHEDULER_POLL_MS: '200' } });
});
after(async () => {
  await stack?.stop();
});

const dataProcessing = () => {
  const input = join(stack.dir, 'in.txt');
  writeFileSync(input, 'one record\n');
  return {
    pipeline_type: 'DataProcessing',
    config: { input_path: input, output_path: join(stack.dir, `out-${randomUUID()}.json`) },
    priority: 'High',
  };
};

test('a pipeline not admitted within the queue timeout ends Timeout, and never gets a Job', async () => {
  const paused = await tenantAdmin(stack, 'paused');
  const set = await stack.api('/quotas/paused', { method: 'PUT', body: JSON.stringify({ max_running: 0 }) });
  assert.equal(set.status, 200, await set.clone().text());

  const stuck = await submit(paused, dataProcessing());
  const other = await submit(stack, dataProcessing());
  const ended = await settled(paused, stuck.id);
  assert.equal(ended.status, 'Timeout');
  assert.equal(ended.reason, 'QueueTimeout: not admitted within 3 s');
  assert.equal((await settled(stack, other.id)).status, 'Succeeded');

  const events = (await (await paused.api(`/pipelines/${stuck.id}/events`)).json()) as {
    from: string | null;
    to: string | null;
  }[];
  assert.deepEqual(
    events.filter((e) => e.to !== null).map((e) => [e.from, e.to]),
    [
      [null, 'Queued'],
      ['Queued', 'Timeout'],
    ],
  );
  // It was never admitted: no attempt was started, so no Job was ever created for it.
  const detail = (await (await paused.api(`/pipelines/${stuck.id}`)).json()) as { attempts: unknown[] };
  assert.deepEqual(detail.attempts, []);
  const jobs = await stack.batch.listNamespacedJob({ namespace: NAMESPACE });
  assert.ok(!jobs.items.some((j) => j.metadata?.name === stuck.job_name));
});
