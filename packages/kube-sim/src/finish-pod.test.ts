// Fast mode with long pods, finished on demand (KubeSim.finishPod): how the scale benchmarks hold
// thousands of pipelines running and then end them at a chosen rate (issue 14).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { startKubeSim } from './index.ts';
import { clients, jobBody, uniq, waitFor } from './test-helpers.ts';

const NS = 'pipelines';

test('finishPod ends a long fast pod now, with its exit code and log; the Job completes', async () => {
  const sim = await startKubeSim({ mode: 'fast', fast: { durationMs: 3_600_000, log: 'done early' } });
  try {
    const { batch, core } = clients(sim);
    const name = uniq('finish');
    await batch.createNamespacedJob({ namespace: NS, body: jobBody(name, ['true']) as k8s.V1Job });
    const running = await waitFor('pod running', async () => {
      const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` });
      const pod = pods.items[0];
      return pod?.status?.phase === 'Running' ? pod : undefined;
    });
    const podName = running.metadata?.name ?? '';
    assert.equal(sim.finishPod(NS, 'no-such-pod'), false);
    assert.equal(sim.finishPod(NS, podName), true);
    const job = await waitFor('job complete', async () => {
      const j = await batch.readNamespacedJob({ name, namespace: NS });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    assert.equal(job.status?.succeeded, 1);
    const pod = await core.readNamespacedPod({ name: podName, namespace: NS });
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
    assert.equal(await core.readNamespacedPodLog({ name: podName, namespace: NS }), 'done early\n');
    // Already ended: nothing to finish.
    assert.equal(sim.finishPod(NS, podName), false);
  } finally {
    await sim.stop();
  }
});
