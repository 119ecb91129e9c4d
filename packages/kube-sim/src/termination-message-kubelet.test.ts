// The kubelet fills a failed container's terminated `message` from its log's tail when the container
// asks for it (terminationMessagePolicy: FallbackToLogsOnError), through the real @kubernetes/client-node.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { clients, uniq, waitFor } from './test-helpers.ts';

const NS = 'pipelines';

function pod(name: string, script: string, policy?: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          command: ['sh', '-c', script],
          ...(policy ? { terminationMessagePolicy: policy } : {}),
        },
      ],
    },
  };
}

describe('terminated.message (FallbackToLogsOnError)', () => {
  let sim: KubeSim;
  let core: k8s.CoreV1Api;
  before(async () => {
    sim = await startKubeSim({});
    ({ core } = clients(sim));
  });
  after(() => sim.stop());

  const terminated = async (body: k8s.V1Pod) => {
    const name = body.metadata?.name ?? '';
    await core.createNamespacedPod({ namespace: NS, body });
    const p = await waitFor('pod ended', async () => {
      const got = await core.readNamespacedPod({ name, namespace: NS });
      return got.status?.phase === 'Succeeded' || got.status?.phase === 'Failed' ? got : undefined;
    });
    return p.status?.containerStatuses?.[0]?.state?.terminated;
  };

  const cases: { name: string; script: string; policy?: string; message: string | undefined }[] = [
    {
      name: 'a failed container with the policy gets its log tail',
      script: 'echo reading; echo "error: input not found: /data/in" >&2; exit 1',
      policy: 'FallbackToLogsOnError',
      message: 'reading\nerror: input not found: /data/in\n',
    },
    {
      name: 'the default policy (File) leaves it empty',
      script: 'echo "error: nope"; exit 1',
      message: undefined,
    },
    {
      name: 'a container that succeeded gets none',
      script: 'echo fine',
      policy: 'FallbackToLogsOnError',
      message: undefined,
    },
    {
      name: 'only the last 80 lines',
      script: 'i=1; while [ $i -le 100 ]; do echo "line $i"; i=$((i+1)); done; exit 2',
      policy: 'FallbackToLogsOnError',
      message: Array.from({ length: 80 }, (_, i) => `line ${i + 21}\n`).join(''),
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const t = await terminated(pod(uniq('tm'), c.script, c.policy));
      assert.equal(t?.message, c.message);
    });
  }
});
