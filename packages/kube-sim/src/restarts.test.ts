// In-place container restarts (restartPolicy OnFailure, and Always for bare pods) and `previous`
// logs, through the real @kubernetes/client-node: restartCount, lastState, CrashLoopBackOff, Jobs
// counting restarts toward backoffLimit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { goDuration } from './kubelet.ts';
import { clients, followLogToEnd, jobBody, rejects, uniq, waitFor, watchPods } from './test-helpers.ts';
import type { Job } from './types.ts';

const NS = 'pipelines';

/**
 * Waits until the pod's container waits in CrashLoopBackOff after its first run, with the pod still
 * Running and the kubelet's message for a 10 s back-off; returns the container status.
 */
async function inCrashLoopBackOff(core: k8s.CoreV1Api, name: string) {
  const pod = await waitFor('back-off', async () => {
    const p = await core.readNamespacedPod({ name, namespace: NS });
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
  });
  const cs = pod.status?.containerStatuses?.[0];
  assert.equal(pod.status?.phase, 'Running');
  assert.equal(
    cs?.state?.waiting?.message,
    `back-off 10s restarting failed container=main pod=${name}_${NS}(${pod.metadata?.uid})`,
  );
  return cs;
}

async function deleteAndWaitGone(core: k8s.CoreV1Api, name: string): Promise<void> {
  await core.deleteNamespacedPod({ name, namespace: NS });
  await waitFor(
    'pod gone',
    async () => (await rejects(core.readNamespacedPod({ name, namespace: NS }))).code === 404,
  );
}

/** Every version of one pod seen on a watch (started before the pod exists). */
async function watchPod(kc: k8s.KubeConfig, name: string) {
  const seen: k8s.V1Pod[] = [];
  const ctl = await new k8s.Watch(kc).watch(
    `/api/v1/namespaces/${NS}/pods`,
    { fieldSelector: `metadata.name=${name}` },
    (_type, obj: k8s.V1Pod) => seen.push(obj),
    () => {},
  );
  return { seen, stop: () => ctl.abort() };
}

/** A pod created directly, without a restartPolicy (the API server defaults it to Always). */
function barePod(name: string, script: string): k8s.V1Pod {
  return {
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', script] }],
    },
  };
}

/** A Job whose container counts its runs in a file of the pod's scratch dir (its cwd). */
function onFailureJob(name: string, script: string, spec: Record<string, unknown> = {}): Job {
  const job = jobBody(name, ['sh', '-c', script], spec);
  job.spec.template.spec.restartPolicy = 'OnFailure';
  return job;
}

const COUNT_RUNS = 'n=$(cat runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > runs; echo "run $n"';

const finished = (j: k8s.V1Job) =>
  j.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')
    ? j
    : undefined;
const conds = (j: k8s.V1Job) => (j.status?.conditions ?? []).map((c) => `${c.type}:${c.reason}`);

describe('restartPolicy OnFailure: in-place restarts', () => {
  let sim: KubeSim;
  let kc: k8s.KubeConfig;
  let batch: k8s.BatchV1Api;
  let core: k8s.CoreV1Api;
  before(async () => {
    sim = await startKubeSim({ restartBackoffMs: 20, podBackoffMs: 5 });
    ({ kc, batch, core } = clients(sim));
  });
  after(() => sim.stop());

  test('a container that fails twice is restarted in the same pod; the Job completes with restartCount 2', async () => {
    const name = uniq('restart');
    const w = await watchPods(kc, NS, name);
    await batch.createNamespacedJob({
      namespace: NS,
      body: onFailureJob(name, `${COUNT_RUNS}; [ $n -ge 3 ]`) as k8s.V1Job,
    });
    const j = await waitFor('job finished', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    // Watch events arrive in order: once the pod's last version is seen, so are all before it.
    await waitFor('watch caught up', () => w.seen.some((p) => p.status?.phase === 'Succeeded'));
    w.stop();
    assert.deepEqual(conds(j), ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    assert.equal(j.status?.succeeded, 1);
    assert.equal(j.status?.failed, undefined);

    const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` })).items;
    assert.equal(pods.length, 1);
    const pod = pods[0];
    const podName = pod?.metadata?.name ?? '';
    assert.equal(pod?.status?.phase, 'Succeeded');
    const cs = pod?.status?.containerStatuses?.[0];
    assert.equal(cs?.restartCount, 2);
    assert.equal(cs?.state?.terminated?.exitCode, 0);
    assert.equal(cs?.state?.terminated?.reason, 'Completed');
    const last = cs?.lastState?.terminated;
    assert.equal(last?.exitCode, 1);
    assert.equal(last?.reason, 'Error');
    assert.ok(last?.startedAt && last.finishedAt);
    assert.ok(last?.containerID && last.containerID !== cs?.state?.terminated?.containerID);
    assert.equal(cs?.containerID, cs?.state?.terminated?.containerID);

    // What the watch saw: the pod stayed Running while restarting, one back-off (the first restart
    // is immediate, as with the kubelet), running again with the restart counted.
    const mine = w.seen.filter((p) => p.metadata?.name === podName);
    assert.ok(
      mine.every((p) => p.status?.phase !== 'Failed'),
      mine.map((p) => p.status?.phase).join(' '),
    );
    const states = mine.map((p) => p.status?.containerStatuses?.[0]);
    const backoff = states.filter((s) => s?.state?.waiting?.reason === 'CrashLoopBackOff');
    assert.ok(backoff.length > 0, 'CrashLoopBackOff seen');
    for (const s of backoff) {
      assert.equal(
        s?.state?.waiting?.message,
        `back-off 20ms restarting failed container=main pod=${podName}_${NS}(${pod?.metadata?.uid})`,
      );
      assert.equal(s?.restartCount, 1);
      assert.equal(s?.ready, false);
      assert.equal(s?.lastState?.terminated?.exitCode, 1);
    }
    const backoffPods = mine.filter(
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    for (const p of backoffPods) {
      assert.equal(p.status?.phase, 'Running');
      assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    }
    assert.deepEqual(
      [...new Set(states.filter((s) => s?.state?.running).map((s) => s?.restartCount))],
      [0, 1, 2],
    );

    // Logs: the current instance is the third run, `previous` the second.
    assert.equal(await core.readNamespacedPodLog({ name: podName, namespace: NS }), 'run 3\n');
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, previous: true }),
      'run 2\n',
    );
    const ts = await core.readNamespacedPodLog({
      name: podName,
      namespace: NS,
      previous: true,
      timestamps: true,
    });
    assert.match(String(ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z run 2\n$/);
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, previous: true, limitBytes: 3 }),
      'run',
    );
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, previous: true, tailLines: 0 }),
      '',
    );
    assert.equal(
      await core.readNamespacedPodLog({ name: podName, namespace: NS, previous: true, sinceSeconds: 3600 }),
      'run 2\n',
    );
    // follow on a terminated instance returns what it wrote and ends
    const text = await followLogToEnd(kc, NS, podName, 'main', { previous: true });
    assert.equal(text, 'run 2\n');

    const ev = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${podName}`,
    });
    const reasons = ev.items.map((e) => e.reason);
    assert.ok(reasons.includes('BackOff'), reasons.join(' '));
    const started = ev.items.filter((e) => e.reason === 'Started').reduce((n, e) => n + (e.count ?? 1), 0);
    assert.equal(started, 3, reasons.join(' '));
  });

  test('OnFailure with backoffLimit 1: restarts count toward it, BackoffLimitExceeded, pods deleted', async () => {
    const name = uniq('restart-fail');
    await batch.createNamespacedJob({
      namespace: NS,
      body: onFailureJob(name, 'echo failing; exit 3', { backoffLimit: 1 }) as k8s.V1Job,
    });
    const j = await waitFor('job failed', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    assert.deepEqual(conds(j), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    assert.equal(j.status?.conditions?.[1]?.message, 'Job has reached the specified backoff limit');
    assert.equal(j.status?.active, undefined);
    assert.equal(j.status?.failed, 1);
    await waitFor(
      'pods deleted',
      async () =>
        (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` })).items.length ===
        0,
    );
  });

  test('previous logs of a container that never restarted: 400', async () => {
    const name = uniq('no-previous');
    await batch.createNamespacedJob({ namespace: NS, body: jobBody(name, ['echo', 'hi']) as k8s.V1Job });
    await waitFor('job finished', async () =>
      finished(await batch.readNamespacedJob({ name, namespace: NS })),
    );
    const pod = (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` })).items[0];
    const podName = pod?.metadata?.name ?? '';
    assert.equal(await core.readNamespacedPodLog({ name: podName, namespace: NS }), 'hi\n');
    const e = await rejects(core.readNamespacedPodLog({ name: podName, namespace: NS, previous: true }));
    assert.equal(e.code, 400);
    assert.equal(e.message, `previous terminated container "main" in pod "${podName}" not found`);
  });
});

describe('restartPolicy Always: bare pods restart every exited container in place', () => {
  let sim: KubeSim;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  before(async () => {
    sim = await startKubeSim({ restartBackoffMs: 20 });
    ({ kc, core } = clients(sim));
  });
  after(() => sim.stop());

  test('exit 3, then exit 0: both restarted, the pod stays Running; lastState and previous logs', async () => {
    const name = uniq('always');
    const w = await watchPod(kc, name);
    // run 1 fails, run 2 succeeds, run 3 keeps running
    await core.createNamespacedPod({
      namespace: NS,
      body: barePod(name, `${COUNT_RUNS}; [ $n -eq 1 ] && exit 3; [ $n -eq 2 ] && exit 0; exec sleep 30`),
    });
    const pod = await waitFor('third run', async () => {
      const p = await core.readNamespacedPod({ name, namespace: NS });
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state?.running && cs.restartCount === 2 ? p : undefined;
    });
    assert.equal(pod.spec?.restartPolicy, 'Always');
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    const cs = pod.status?.containerStatuses?.[0];
    assert.equal(cs?.ready, true);
    assert.equal(cs?.lastState?.terminated?.exitCode, 0);
    assert.equal(cs?.lastState?.terminated?.reason, 'Completed');
    assert.ok(
      cs?.lastState?.terminated?.containerID && cs.lastState.terminated.containerID !== cs.containerID,
    );
    await waitFor(
      'run 3 log',
      async () => (await core.readNamespacedPodLog({ name, namespace: NS })) === 'run 3\n',
    );
    assert.equal(await core.readNamespacedPodLog({ name, namespace: NS, previous: true }), 'run 2\n');

    await deleteAndWaitGone(core, name);
    await waitFor(
      'watch saw the delete',
      () => w.seen.length > 0 && !w.seen.at(-1)?.status?.containerStatuses?.[0]?.state?.running,
    );
    w.stop();
    // Until it was deleted, never a terminal phase: every exit (the failure and the success) was
    // followed by a restart; the second one after a back-off.
    const live = w.seen.filter((p) => !p.metadata?.deletionTimestamp);
    assert.ok(
      live.every((p) => p.status?.phase === 'Pending' || p.status?.phase === 'Running'),
      live.map((p) => p.status?.phase).join(' '),
    );
    const states = live.map((p) => p.status?.containerStatuses?.[0]);
    assert.ok(states.some((s) => s?.state?.terminated?.exitCode === 3 && s.restartCount === 0));
    assert.ok(states.some((s) => s?.state?.terminated?.exitCode === 0 && s.restartCount === 1));
    const backoff = states.filter((s) => s?.state?.waiting?.reason === 'CrashLoopBackOff');
    assert.ok(backoff.length > 0, 'CrashLoopBackOff seen');
    for (const s of backoff) {
      assert.equal(
        s?.state?.waiting?.message,
        `back-off 20ms restarting failed container=main pod=${name}_${NS}(${pod.metadata?.uid})`,
      );
      assert.equal(s?.lastState?.terminated?.exitCode, 0);
    }
    assert.deepEqual(
      [...new Set(states.filter((s) => s?.state?.running).map((s) => s?.restartCount))],
      [0, 1, 2],
    );
  });
});

describe('restartPolicy OnFailure: kubelet back-off', () => {
  let sim: KubeSim;
  let core: k8s.CoreV1Api;
  before(async () => {
    // The real 10 s base: the pod stays in CrashLoopBackOff for the whole test.
    sim = await startKubeSim();
    ({ core } = clients(sim));
  });
  after(() => sim.stop());

  test('CrashLoopBackOff after the second failure; logs read the last run; deletion ends the loop', async () => {
    const name = uniq('crashloop');
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          restartPolicy: 'OnFailure',
          terminationGracePeriodSeconds: 2,
          containers: [
            { name: 'main', image: 'busybox:1.36', command: ['sh', '-c', `${COUNT_RUNS}; exit 1`] },
          ],
        },
      },
    });
    const cs = await inCrashLoopBackOff(core, name);
    assert.equal(cs?.restartCount, 1);
    assert.equal(cs?.lastState?.terminated?.exitCode, 1);
    assert.equal(cs?.lastState?.terminated?.reason, 'Error');
    // As the kubelet does: both read the instance in lastState (the run that just failed).
    assert.equal(await core.readNamespacedPodLog({ name, namespace: NS }), 'run 2\n');
    assert.equal(await core.readNamespacedPodLog({ name, namespace: NS, previous: true }), 'run 2\n');

    await deleteAndWaitGone(core, name);
  });

  test('restartPolicy Always: a container that exits 0 backs off too (CrashLoopBackOff, pod Running)', async () => {
    const name = uniq('always-backoff');
    await core.createNamespacedPod({ namespace: NS, body: barePod(name, `${COUNT_RUNS}; exit 0`) });
    const cs = await inCrashLoopBackOff(core, name);
    assert.equal(cs?.restartCount, 1);
    assert.equal(cs?.lastState?.terminated?.exitCode, 0);
    assert.equal(cs?.lastState?.terminated?.reason, 'Completed');
    assert.equal(await core.readNamespacedPodLog({ name, namespace: NS, previous: true }), 'run 2\n');

    await deleteAndWaitGone(core, name);
  });
});

test('goDuration prints back-off delays as Go does', () => {
  assert.deepEqual([20, 10_000, 20_000, 80_000, 160_000, 300_000, 1_500, 3_600_000].map(goDuration), [
    '20ms',
    '10s',
    '20s',
    '1m20s',
    '2m40s',
    '5m0s',
    '1.5s',
    '1h0m0s',
  ]);
});
