// Init containers through the real @kubernetes/client-node: one at a time, in order, before the
// containers; the pod's status while initialising; failures by restartPolicy; logs and events.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { clients, jobBody, rejects, uniq, waitFor, watchPods } from './test-helpers.ts';
import type { Container, Job } from './types.ts';

const NS = 'pipelines';

/** A Job whose pod has these init containers before its `main` container. */
function initJob(name: string, main: string, inits: Container[], spec: Record<string, unknown> = {}): Job {
  const job = jobBody(name, ['sh', '-c', main], spec);
  job.spec.template.spec.initContainers = inits;
  return job;
}

const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({
  name,
  image: 'busybox:1.36',
  command: ['sh', '-c', script],
  ...extra,
});

const finished = (j: k8s.V1Job) =>
  j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
    ? j
    : undefined;
const conds = (j: k8s.V1Job) => (j.status?.conditions ?? []).map((c) => `${c.type}:${c.reason}`);
/** A client-node model as plain JSON (its classes do not deep-equal object literals). */
const plain = (x: unknown) => JSON.parse(JSON.stringify(x ?? null));
const podCond = (p: k8s.V1Pod, type: string) => p.status?.conditions?.find((c) => c.type === type);

describe('init containers', () => {
  let sim: KubeSim;
  let kc: k8s.KubeConfig;
  let batch: k8s.BatchV1Api;
  let core: k8s.CoreV1Api;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-init-'));
    sim = await startKubeSim({ restartBackoffMs: 20, podBackoffMs: 5 });
    ({ kc, batch, core } = clients(sim));
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function podOf(job: string): Promise<k8s.V1Pod> {
    return waitFor(
      'pod',
      async () =>
        (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${job}` })).items[0],
    );
  }

  test('run one at a time, in order, before the containers: Pending with Initialized False, then the Job completes', async () => {
    const name = uniq('init-order');
    const gate = join(dir, `${name}.gate`);
    const w = await watchPods(kc, NS, name);
    await batch.createNamespacedJob({
      namespace: NS,
      body: initJob(name, 'cat order', [
        // holds the pod in its first init container until the test opens the gate
        sh(
          'init-1',
          'echo init-1 >> order; echo first started; while [ ! -e "$GATE" ]; do sleep 0.02; done',
          {
            env: [{ name: 'GATE', value: gate }],
          },
        ),
        // Downward API and $(VAR) expansion, as for containers
        sh('init-2', 'echo "init-2 $(POD_NAME)" >> order; echo second', {
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        }),
      ]) as k8s.V1Job,
    });
    const pod = await podOf(name);
    const podName = pod.metadata?.name ?? '';

    const initialising = await waitFor('init-1 running', async () => {
      const p = await core.readNamespacedPod({ name: podName, namespace: NS });
      return p.status?.initContainerStatuses?.[0]?.state?.running ? p : undefined;
    });
    assert.equal(initialising.status?.phase, 'Pending');
    const initialized = podCond(initialising, 'Initialized');
    assert.equal(initialized?.status, 'False');
    assert.equal(initialized?.reason, 'ContainersNotInitialized');
    assert.equal(initialized?.message, 'containers with incomplete status: [init-1 init-2]');
    assert.equal(podCond(initialising, 'Ready')?.reason, 'ContainersNotReady');
    const [i1, i2] = initialising.status?.initContainerStatuses ?? [];
    assert.equal(i1?.name, 'init-1');
    assert.equal(i1?.ready, false);
    assert.equal(i1?.started, true);
    assert.ok(i1?.containerID?.startsWith('containerd://'));
    assert.deepEqual(plain(i2?.state), { waiting: { reason: 'PodInitializing' } });
    assert.deepEqual(plain(initialising.status?.containerStatuses?.[0]?.state), {
      waiting: { reason: 'PodInitializing' },
    });
    // Logs: the running init container's by name; the ones still waiting get the kubelet's 400.
    await waitFor(
      'init-1 log',
      async () =>
        (await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'init-1' })) ===
        'first started\n',
    );
    for (const container of ['init-2', 'main']) {
      const e = await rejects(core.readNamespacedPodLog({ name: podName, namespace: NS, container }));
      assert.equal(e.code, 400);
      assert.equal(
        e.message,
        `container "${container}" in pod "${podName}" is waiting to start: PodInitializing`,
      );
    }
    // Without a container name, the only regular container is read.
    const noName = await rejects(core.readNamespacedPodLog({ name: podName, namespace: NS }));
    assert.equal(noName.message, `container "main" in pod "${podName}" is waiting to start: PodInitializing`);

    writeFileSync(gate, '');
    const j = await waitFor('job finished', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    assert.deepEqual(conds(j), ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    await waitFor('watch caught up', () => w.seen.some((p) => p.status?.phase === 'Succeeded'));
    w.stop();

    const done = await core.readNamespacedPod({ name: podName, namespace: NS });
    assert.equal(done.status?.phase, 'Succeeded');
    assert.equal(podCond(done, 'Initialized')?.status, 'True');
    assert.equal(podCond(done, 'Initialized')?.reason, 'PodCompleted');
    const inits = done.status?.initContainerStatuses ?? [];
    assert.deepEqual(
      inits.map((s) => [
        s.name,
        s.state?.terminated?.exitCode,
        s.state?.terminated?.reason,
        s.ready,
        s.started,
      ]),
      [
        ['init-1', 0, 'Completed', true, false],
        ['init-2', 0, 'Completed', true, false],
      ],
    );
    const main = done.status?.containerStatuses?.[0];
    assert.equal(main?.state?.terminated?.exitCode, 0);
    // One after the other: each started once the one before had finished.
    const t = (s: string | Date | undefined) => new Date(s ?? Number.NaN).getTime();
    const [a, b] = inits.map((s) => s.state?.terminated);
    assert.ok(t(b?.startedAt) >= t(a?.finishedAt), 'init-2 started after init-1 finished');
    assert.ok(t(main?.state?.terminated?.startedAt) >= t(b?.finishedAt), 'main started after init-2');
    // The scratch dir is shared (like an emptyDir); the order they ran in, with $(POD_NAME) expanded.
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS }),
      `init-1\ninit-2 ${podName}\n`,
    );
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'init-2' }),
      'second\n',
    );

    // What the watch saw: never Running while initialising; main waited until both had completed.
    for (const p of w.seen) {
      const st = p.status;
      const initDone = (st?.initContainerStatuses ?? []).every((s) => s.state?.terminated?.exitCode === 0);
      if (!initDone) {
        assert.equal(st?.phase, 'Pending');
        assert.equal(st?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
      }
      if (st?.initContainerStatuses?.[1]?.state?.running) {
        assert.equal(st.initContainerStatuses[0]?.state?.terminated?.exitCode, 0);
      }
    }
    assert.ok(w.seen.some((p) => p.status?.initContainerStatuses?.[1]?.state?.running));

    // The kubelet's events, init containers first, each referenced by its own field path.
    const ev = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${podName}`,
    });
    const kubelet = ev.items
      .filter((e) => e.source?.component === 'kubelet')
      .sort((x, y) => Number(x.metadata?.resourceVersion) - Number(y.metadata?.resourceVersion))
      .map((e) => `${e.reason} ${e.involvedObject.fieldPath}`);
    assert.deepEqual(kubelet, [
      'Pulled spec.initContainers{init-1}',
      'Created spec.initContainers{init-1}',
      'Started spec.initContainers{init-1}',
      'Pulled spec.initContainers{init-2}',
      'Created spec.initContainers{init-2}',
      'Started spec.initContainers{init-2}',
      'Pulled spec.containers{main}',
      'Created spec.containers{main}',
      'Started spec.containers{main}',
    ]);
  });

  test('restartPolicy Never: a failing init container fails the pod; the containers never start', async () => {
    const name = uniq('init-fail');
    const job = initJob(
      name,
      'echo never',
      [sh('init', 'echo bad input; exit 3'), sh('after', 'echo unreached')],
      {
        backoffLimit: 0,
      },
    );
    job.spec.template.spec.containers.push({ name: 'side', image: 'busybox:1.36', command: ['true'] });
    await batch.createNamespacedJob({ namespace: NS, body: job as k8s.V1Job });
    const j = await waitFor('job failed', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    assert.deepEqual(conds(j), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    assert.equal(j.status?.failed, 1);

    const pod = await podOf(name);
    const podName = pod.metadata?.name ?? '';
    assert.equal(pod.status?.phase, 'Failed');
    assert.equal(podCond(pod, 'Initialized')?.status, 'False');
    assert.equal(podCond(pod, 'Initialized')?.message, 'containers with incomplete status: [init after]');
    const [init, later] = pod.status?.initContainerStatuses ?? [];
    assert.equal(init?.state?.terminated?.exitCode, 3);
    assert.equal(init?.state?.terminated?.reason, 'Error');
    assert.ok(init?.state?.terminated?.startedAt && init.state.terminated.finishedAt);
    assert.equal(init?.restartCount, 0);
    assert.equal(init?.ready, false);
    assert.deepEqual(plain(later?.state), { waiting: { reason: 'PodInitializing' } });
    for (const cs of pod.status?.containerStatuses ?? []) {
      assert.deepEqual(plain(cs.state), { waiting: { reason: 'PodInitializing' } });
      assert.equal(cs.restartCount, 0);
    }
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'init' }),
      'bad input\n',
    );
    const e = await rejects(core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'side' }));
    assert.equal(e.message, `container "side" in pod "${podName}" is waiting to start: PodInitializing`);
    // Two containers: a name is required; the API server lists init containers first.
    const noName = await rejects(core.readNamespacedPodLog({ name: podName, namespace: NS }));
    assert.equal(noName.code, 400);
    assert.equal(
      noName.message,
      `a container name must be specified for pod ${podName}, choose one of: [init after main side]`,
    );
    const ev = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${podName}`,
    });
    const started = ev.items.filter((x) => x.reason === 'Started').map((x) => x.involvedObject.fieldPath);
    assert.deepEqual(started, ['spec.initContainers{init}']);
  });

  test('podFailurePolicy onExitCodes matches an init container', async () => {
    const name = uniq('init-pfp');
    await batch.createNamespacedJob({
      namespace: NS,
      body: initJob(name, 'true', [sh('setup', 'exit 42')], {
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'setup', operator: 'In', values: [42] } },
          ],
        },
      }) as k8s.V1Job,
    });
    const j = await waitFor('job failed', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    const failed = j.status?.conditions?.find((c) => c.type === 'Failed');
    assert.equal(failed?.reason, 'PodFailurePolicy');
    assert.match(
      String(failed?.message),
      new RegExp(
        `^Container setup for pod ${NS}/${name}-[a-z0-9]{5} failed with exit code 42 matching FailJob rule at index 0$`,
      ),
    );
  });

  test('restartPolicy OnFailure: a failing init container restarts in place with back-off, the pod stays Pending', async () => {
    const name = uniq('init-restart');
    const countRuns = 'n=$(cat runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > runs; echo "run $n"';
    const w = await watchPods(kc, NS, name);
    const job = initJob(name, 'echo main ran', [sh('init', `${countRuns}; [ $n -ge 3 ]`)]);
    job.spec.template.spec.restartPolicy = 'OnFailure';
    await batch.createNamespacedJob({ namespace: NS, body: job as k8s.V1Job });
    const j = await waitFor('job finished', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    assert.deepEqual(conds(j), ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    await waitFor('watch caught up', () => w.seen.some((p) => p.status?.phase === 'Succeeded'));
    w.stop();

    const pod = await podOf(name);
    const podName = pod.metadata?.name ?? '';
    const init = pod.status?.initContainerStatuses?.[0];
    assert.equal(init?.restartCount, 2);
    assert.equal(init?.state?.terminated?.exitCode, 0);
    assert.equal(init?.lastState?.terminated?.exitCode, 1);
    assert.equal(init?.lastState?.terminated?.reason, 'Error');
    assert.equal(pod.status?.containerStatuses?.[0]?.restartCount, 0);
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'init' }),
      'run 3\n',
    );
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'init', previous: true }),
      'run 2\n',
    );
    assert.equal(await core.readNamespacedPodLog({ name: podName, namespace: NS }), 'main ran\n');

    // Restarting while initialising: Pending throughout, one back-off, main untouched meanwhile.
    const backoff = w.seen.filter(
      (p) => p.status?.initContainerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    assert.ok(backoff.length > 0, 'CrashLoopBackOff seen');
    for (const p of backoff) {
      assert.equal(p.status?.phase, 'Pending');
      const s = p.status?.initContainerStatuses?.[0];
      assert.equal(
        s?.state?.waiting?.message,
        `back-off 20ms restarting failed container=init pod=${podName}_${NS}(${pod.metadata?.uid})`,
      );
      assert.equal(s?.lastState?.terminated?.exitCode, 1);
      assert.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    }
    assert.deepEqual(
      [
        ...new Set(
          w.seen
            .map((p) => p.status?.initContainerStatuses?.[0])
            .filter((s) => s?.state?.running)
            .map((s) => s?.restartCount),
        ),
      ],
      [0, 1, 2],
    );
    const ev = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${podName}`,
    });
    const backoffEv = ev.items.find((e) => e.reason === 'BackOff');
    assert.equal(backoffEv?.involvedObject.fieldPath, 'spec.initContainers{init}');
  });

  test('restartPolicy OnFailure: init container restarts count toward backoffLimit', async () => {
    const name = uniq('init-limit');
    const job = initJob(name, 'true', [sh('init', 'exit 1')], { backoffLimit: 1 });
    job.spec.template.spec.restartPolicy = 'OnFailure';
    await batch.createNamespacedJob({ namespace: NS, body: job as k8s.V1Job });
    const j = await waitFor('job failed', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    assert.deepEqual(conds(j), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
  });

  test('a bare pod (restartPolicy Always) restarts a failed init container, then runs its container', async () => {
    const name = uniq('init-always');
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          terminationGracePeriodSeconds: 2,
          initContainers: [sh('init', '[ -e ran ] || { touch ran; exit 1; }')],
          containers: [sh('main', 'echo up; exec sleep 30')],
        },
      },
    });
    const pod = await waitFor('main running', async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    assert.equal(pod.spec?.restartPolicy, 'Always');
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(podCond(pod, 'Initialized')?.status, 'True');
    assert.equal(podCond(pod, 'Ready')?.status, 'True');
    const init = pod.status?.initContainerStatuses?.[0];
    assert.equal(init?.restartCount, 1);
    assert.equal(init?.lastState?.terminated?.exitCode, 1);
    assert.equal(init?.state?.terminated?.exitCode, 0);
    await core.deleteNamespacedPod({ name, namespace: NS });
    await waitFor(
      'pod gone',
      async () => (await rejects(core.readNamespacedPod({ name, namespace: NS }))).code === 404,
    );
  });

  test('deleting a pod while it initialises stops the init container; the containers never start', async () => {
    const name = uniq('init-delete');
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 2,
          initContainers: [sh('init', 'exec sleep 30')],
          containers: [sh('main', 'echo never')],
        },
      },
    });
    await waitFor(
      'init running',
      async () =>
        !!(await core.readNamespacedPod({ name, namespace: NS })).status?.initContainerStatuses?.[0]?.state
          ?.running,
    );
    await core.deleteNamespacedPod({ name, namespace: NS });
    await waitFor(
      'pod gone',
      async () => (await rejects(core.readNamespacedPod({ name, namespace: NS }))).code === 404,
    );
    const ev = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${name}`,
    });
    const reasons = ev.items.map((e) => `${e.reason} ${e.involvedObject.fieldPath ?? ''}`);
    assert.ok(reasons.includes('Killing spec.initContainers{init}'), reasons.join(', '));
    assert.ok(!reasons.includes('Started spec.containers{main}'), reasons.join(', '));
  });

  test('validation: init container names are unique across the pod, images required', async () => {
    const e = await rejects(
      core.createNamespacedPod({
        namespace: NS,
        body: {
          metadata: { name: uniq('init-invalid') },
          spec: {
            initContainers: [{ name: 'main', image: 'busybox:1.36' }, { name: 'setup' } as k8s.V1Container],
            containers: [{ name: 'main', image: 'busybox:1.36' }],
          },
        },
      }),
    );
    assert.equal(e.code, 422);
    const causes = (e.body.details as { causes: { field: string; message: string }[] }).causes;
    assert.deepEqual(
      causes.map((c) => `${c.field}: ${c.message}`),
      [
        'spec.initContainers[0].name: Duplicate value: "main"',
        'spec.initContainers[1].image: Required value',
      ],
    );
  });
});

test('fast mode: init containers complete at once with exit 0, then the containers run', async () => {
  const sim = await startKubeSim({ mode: 'fast', fast: { durationMs: 10, log: 'fast' } });
  try {
    const { batch, core } = clients(sim);
    const name = uniq('init-fast');
    await batch.createNamespacedJob({
      namespace: NS,
      body: initJob(name, 'ignored', [sh('one', 'exit 1'), sh('two', 'exit 1')]) as k8s.V1Job,
    });
    const j = await waitFor('job finished', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    assert.deepEqual(conds(j), ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    const pod = (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` })).items[0];
    const podName = pod?.metadata?.name ?? '';
    assert.equal(pod?.status?.phase, 'Succeeded');
    assert.deepEqual(
      (pod?.status?.initContainerStatuses ?? []).map((s) => [s.name, s.state?.terminated?.reason]),
      [
        ['one', 'Completed'],
        ['two', 'Completed'],
      ],
    );
    assert.equal(await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'one' }), '');
    assert.equal(await core.readNamespacedPodLog({ name: podName, namespace: NS }), 'fast\n');
  } finally {
    await sim.stop();
  }
});
