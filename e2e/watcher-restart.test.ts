/**
 * The watcher decides from synced state only: a watcher SIGKILLed while pipelines run comes back
 * without re-running or losing any of them; a pod evicted through the eviction API is replaced by
 * the Job (a disruption does not count as a failure) and the pipeline succeeds on one attempt.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NAMESPACE, type Stack, startStack, waitFor } from './fixture.ts';
import { watchJobCreations } from './job-creations.ts';
import { type Created, jobGone, registerGatedTemplate, statusOf, submit, submitGated } from './pipelines.ts';

let stack: Stack;
before(async () => {
  // 50 at once: room for all of them in the global and the tenant's quota.
  const started = await startStack({ env: { SCHEDULER_MAX_RUNNING: '60', TENANT_MAX_RUNNING: '60' } });
  // One connection per request: with 50 workloads starting on a small shared machine, a reused
  // keep-alive connection can be closed by the gateway just as the next request goes out
  // ("other side closed"), which says nothing about the behaviour under test.
  stack = {
    ...started,
    api: (path, init = {}) =>
      started.api(path, { ...init, headers: { connection: 'close', ...init.headers } }),
  };
  await registerGatedTemplate(stack);
  // The same gate, polled 4 times a second: 50 of them at once stay light on a small machine.
  const res = await stack.api('/templates', {
    method: 'POST',
    body: JSON.stringify({
      name: 'slow-gated',
      description: 'waits for a file, then prints a line',
      image: 'python:3.11-slim',
      command: ['python3', '-c'],
      args: [
        'import os, time\nwhile not os.path.exists(os.environ["GATE_PATH"]):\n    time.sleep(0.25)\nprint("done", flush=True)\n',
      ],
      env: { GATE_PATH: '{{gate_path}}' },
      resources: { cpu_request: '50m', memory_request: '64Mi', cpu_limit: '500m', memory_limit: '256Mi' },
      configSchema: {
        type: 'object',
        properties: { gate_path: { type: 'string', maxLength: 4096 } },
        required: ['gate_path'],
        additionalProperties: false,
      },
      backoffLimit: 0,
      defaultTimeoutSeconds: 600,
    }),
  });
  assert.equal(res.status, 201, await res.text());
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

test('a watcher SIGKILLed while 50 pipelines run comes back: each ends Succeeded on its one attempt and one Job', async () => {
  const creations = await watchJobCreations(stack.kc);
  try {
    const gate = join(stack.dir, 'gate-restart');
    const pipelines: Created[] = [];
    for (let i = 0; i < 50; i++) {
      pipelines.push(
        await submit(stack, {
          pipeline_type: { Custom: { template: 'slow-gated' } },
          config: { gate_path: gate },
          priority: 'Normal',
          timeout_seconds: 600,
        }),
      );
    }
    const ids = new Set(pipelines.map((p) => p.id));
    await waitFor(
      'all 50 pipelines to be Running',
      async () => ((await countIn('Running', ids)) === 50 ? true : undefined),
      240_000,
    );

    await stack.system.kill('watcher', 'SIGKILL');
    // Ready once both informers have listed and its first reconcile pass is done.
    await stack.system.start('watcher');
    for (const p of pipelines) {
      const d = await detailOf(p.id);
      assert.equal(d.status, 'Running', `${p.id} after the restart: ${d.reason}`);
      assert.equal(d.attempt, 1, `${p.id} was not re-run`);
    }

    writeFileSync(gate, '');
    await waitFor(
      'all 50 pipelines to end',
      async () => ((await countIn('Running', ids)) === 0 ? true : undefined),
      180_000,
    );
    for (const p of pipelines) {
      const done = await waitFor(
        `pipeline ${p.id} to finish`,
        async () => {
          const d = await detailOf(p.id);
          return d.status === 'Running' || d.status === 'Queued' ? undefined : d;
        },
        120_000,
      );
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
      assert.equal(creations.count(p.job_name), 1, `exactly one Job ever created for ${p.id}`);
      assert.equal(creations.count(p.job_name.replace(/-1$/, '-2')), 0, `no second attempt for ${p.id}`);
    }
  } finally {
    creations.stop();
  }
});

test('a Running pod evicted through the eviction API is replaced: the pipeline succeeds on one attempt', async () => {
  const creations = await watchJobCreations(stack.kc);
  try {
    const gate = join(stack.dir, 'gate-evict');
    const p = await submitGated(stack, gate);
    const first = await waitFor('the pod to run', async () => {
      const pods = await podsOf(p.job_name);
      return pods.length === 1 && pods[0]?.status?.phase === 'Running' ? pods[0] : undefined;
    });
    const firstName = first.metadata?.name ?? '';
    assert.equal((await statusOf(stack, p.id)).status, 'Running');

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

    writeFileSync(gate, '');
    const done = await waitFor('the pipeline to finish', async () => {
      const d = await detailOf(p.id);
      return d.status === 'Running' || d.status === 'Queued' ? undefined : d;
    });
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
    assert.equal(creations.count(p.job_name), 1, 'one Job: the Job controller replaced the pod');
  } finally {
    creations.stop();
  }
});
