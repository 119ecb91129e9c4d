/**
 * The watcher decides from synced state only: a watcher SIGKILLed while pipelines run comes back
 * without re-running or losing any of them; a pod evicted through the eviction API is replaced by
 * the Job (a disruption does not count as a failure) and the pipeline succeeds on one attempt.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jobsCreated, NAMESPACE, type Stack, startStack, waitFor } from './fixture.ts';
import { type Created, jobGone, statusOf, submit } from './pipelines.ts';

const POD_SECONDS = 40;
let stack: Stack;
before(async () => {
  // 50 at once: room for all of them in the global and the tenant's quota.
  // kube-sim's fast mode: each pod "runs" for POD_SECONDS without a process, so 50 of them cost
  // nothing on a small machine and all are Running at once.
  const started = await startStack({
    env: { SCHEDULER_MAX_RUNNING: '60', TENANT_MAX_RUNNING: '60' },
    sim: { mode: 'fast', fast: { durationMs: POD_SECONDS * 1000, log: 'done' } },
  });
  // One connection per request: with 50 workloads starting on a small shared machine, a reused
  // keep-alive connection can be closed by the gateway just as the next request goes out
  // ("other side closed"), which says nothing about the behaviour under test.
  stack = {
    ...started,
    api: (path, init = {}) =>
      started.api(path, { ...init, headers: { connection: 'close', ...init.headers } }),
  };
});
after(async () => {
  await stack?.stop();
});

interface Detail {
  status: string;
  reason: string | null;
  attempt: number;
  attempts: { attempt: number; status: string | null }[];
}

const detailOf = async (id: string) => (await (await stack.api(`/pipelines/${id}`)).json()) as Detail;
const eventsOf = async (id: string) =>
  (await (await stack.api(`/pipelines/${id}/events`)).json()) as {
    kind: string;
    to: string | null;
    reason: string | null;
  }[];

/** How many of `ids` are in `status`, in one request. */
async function countIn(status: string, ids: Set<string>): Promise<number> {
  const res = await stack.api(`/pipelines?status=${status}&limit=100`);
  const rows = (await res.json()) as { id: string }[];
  return rows.filter((r) => ids.has(r.id)).length;
}

const podsOf = async (jobName: string) =>
  (
    await stack.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: `batch.kubernetes.io/job-name=${jobName}`,
    })
  ).items;

const submitOne = () =>
  submit(stack, {
    pipeline_type: 'DataProcessing',
    config: { input_path: '/in.txt', output_path: '/out.txt' },
    priority: 'Normal',
  });

async function finished(id: string): Promise<Detail> {
  return waitFor(
    `pipeline ${id} to finish`,
    async () => {
      const d = await detailOf(id);
      return d.status === 'Running' || d.status === 'Queued' ? undefined : d;
    },
    120_000,
  );
}

test('a watcher SIGKILLed while 50 pipelines run comes back: each ends Succeeded on its one attempt and one Job', async () => {
  const pipelines: Created[] = [];
  for (let i = 0; i < 50; i++) pipelines.push(await submitOne());
  const ids = new Set(pipelines.map((p) => p.id));
  // All started (a slow machine may finish the first before the last starts), most still running.
  await waitFor('all 50 pipelines to have started', async () =>
    (await countIn('Queued', ids)) === 0 ? true : undefined,
  );
  const running = await countIn('Running', ids);
  assert.ok(running >= 40, `${running} of 50 Running when the watcher is killed`);

  // Killed while Postgres says Running for all 50. Whether their pods end while it is down or
  // after it is back, it must come back to the same outcomes: no pipeline declared lost or re-run.
  await stack.system.kill('watcher', 'SIGKILL');
  await stack.system.start('watcher');

  for (const p of pipelines) {
    const done = await finished(p.id);
    assert.equal(done.status, 'Succeeded', `${p.id}: ${done.reason}`);
    assert.deepEqual(
      done.attempts.map((a) => [a.attempt, a.status]),
      [[1, 'Succeeded']],
    );
    const transitions = (await eventsOf(p.id)).filter((e) => e.kind === 'transition').map((e) => e.to);
    assert.deepEqual(transitions, ['Queued', 'Running', 'Succeeded']);
  }
  for (const p of pipelines) {
    await jobGone(stack, p.job_name);
    assert.equal(jobsCreated(stack, p.job_name), 1, `exactly one Job ever created for ${p.id}`);
    assert.equal(jobsCreated(stack, p.job_name.replace(/-1$/, '-2')), 0, `no second attempt for ${p.id}`);
  }
});

test('a Running pod evicted through the eviction API is replaced: the pipeline succeeds on one attempt', async () => {
  const p = await submitOne();
  const first = await waitFor('the pod to run', async () => {
    const pods = await podsOf(p.job_name);
    return pods.length === 1 && pods[0]?.status?.phase === 'Running' ? pods[0] : undefined;
  });
  const firstName = first.metadata?.name ?? '';
  await waitFor('the pipeline to be Running', async () =>
    (await statusOf(stack, p.id)).status === 'Running' ? true : undefined,
  );

  await stack.core.createNamespacedPodEviction({
    name: firstName,
    namespace: NAMESPACE,
    body: {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: firstName, namespace: NAMESPACE },
    },
  });
  await waitFor('a replacement pod to run', async () => {
    const pods = await podsOf(p.job_name);
    return pods.some((x) => x.metadata?.name !== firstName && x.status?.phase === 'Running')
      ? true
      : undefined;
  });
  assert.equal((await statusOf(stack, p.id)).status, 'Running', 'a disruption is not a failure');

  const done = await finished(p.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  assert.deepEqual(
    done.attempts.map((a) => [a.attempt, a.status]),
    [[1, 'Succeeded']],
  );
  const events = await eventsOf(p.id);
  const disruption = events.find((e) => e.kind === 'pod_disrupted');
  assert.ok(disruption, `the disruption is in the pipeline's events: ${JSON.stringify(events)}`);
  assert.match(disruption.reason ?? '', new RegExp(`pod ${firstName} disrupted: EvictionByEvictionAPI`));
  assert.deepEqual(
    events.filter((e) => e.kind === 'transition').map((e) => e.to),
    ['Queued', 'Running', 'Succeeded'],
  );
  await jobGone(stack, p.job_name);
  assert.equal(jobsCreated(stack, p.job_name), 1, 'one Job: the Job controller replaced the pod');
});
