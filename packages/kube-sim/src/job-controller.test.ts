// Job controller + kubelet (process mode) scenarios over HTTP. Every Job object seen on a watch of
// all Jobs is checked against the official batch/v1 Job schema (kubernetes-models).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Job as JobModel } from 'kubernetes-models/batch/v1';
import { type KubeSim, startKubeSim } from './index.ts';
import { jobBody, raw, uniq, waitFor } from './test-helpers.ts';
import type { Condition, Job, Pod } from './types.ts';

const NS = 'pipelines';
let sim: KubeSim;
const seenJobs: unknown[] = [];
let watchAbort: AbortController;
let watchDone: Promise<void>;

before(async () => {
  // Pods are replaced after a few ms instead of Kubernetes' 10 s backoff.
  sim = await startKubeSim({ podBackoffMs: 5 });
  watchAbort = new AbortController();
  const res = await fetch(`${sim.url}/apis/batch/v1/jobs?watch=true`, { signal: watchAbort.signal });
  watchDone = (async () => {
    let buf = '';
    try {
      for await (const chunk of res.body ?? []) {
        buf += Buffer.from(chunk).toString();
        let i = buf.indexOf('\n');
        while (i >= 0) {
          seenJobs.push(JSON.parse(buf.slice(0, i)).object);
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
      }
    } catch {
      // aborted
    }
  })();
});

after(async () => {
  watchAbort.abort();
  await watchDone;
  await sim.stop();
});

async function create(job: Job): Promise<Job> {
  const r = await raw(sim.url, 'POST', `/apis/batch/v1/namespaces/${NS}/jobs`, job);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as Job;
}

async function get(name: string): Promise<Job | undefined> {
  const r = await raw(sim.url, 'GET', `/apis/batch/v1/namespaces/${NS}/jobs/${name}`);
  return r.status === 200 ? (r.body as Job) : undefined;
}

async function pods(name: string): Promise<Pod[]> {
  const r = await raw(
    sim.url,
    'GET',
    `/api/v1/namespaces/${NS}/pods?labelSelector=batch.kubernetes.io/job-name%3D${name}`,
  );
  return (r.body as { items: Pod[] }).items;
}

function finished(j: Job | undefined): Job | undefined {
  return j?.status?.conditions?.some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  )
    ? j
    : undefined;
}

const conds = (j: Job) => (j.status?.conditions ?? []).map((c: Condition) => `${c.type}:${c.reason}`);

describe('Job controller', () => {
  test('backoffLimit: a failing pod is retried, then FailureTarget and Failed with BackoffLimitExceeded', async () => {
    const name = uniq('backoff');
    await create(jobBody(name, ['sh', '-c', 'echo failing; exit 3'], { backoffLimit: 1 }));
    const j = await waitFor('failed', async () => finished(await get(name)));
    assert.deepEqual(conds(j), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    assert.equal(j.status?.failed, 2);
    assert.equal(j.status?.active, undefined);
    assert.equal(j.status?.completionTime, undefined);
    const ps = await pods(name);
    assert.equal(ps.length, 2);
    for (const p of ps) {
      assert.equal(p.status?.phase, 'Failed');
      const t = p.status?.containerStatuses?.[0]?.state.terminated;
      assert.equal(t?.exitCode, 3);
      assert.equal(t?.reason, 'Error');
    }
    const ev = await raw(
      sim.url,
      'GET',
      `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name%3D${name},involvedObject.kind%3DJob`,
    );
    const reasons = (ev.body as { items: { reason: string }[] }).items.map((e) => e.reason);
    assert.ok(reasons.includes('SuccessfulCreate'));
    assert.ok(reasons.includes('BackoffLimitExceeded'));
  });

  test('activeDeadlineSeconds kills the pod: DeadlineExceeded', async () => {
    const name = uniq('deadline');
    await create(jobBody(name, ['sleep', '60'], { activeDeadlineSeconds: 1 }));
    const j = await waitFor('deadline', async () => finished(await get(name)));
    assert.deepEqual(conds(j), ['FailureTarget:DeadlineExceeded', 'Failed:DeadlineExceeded']);
    assert.equal(j.status?.conditions?.[1]?.message, 'Job was active longer than specified deadline');
    // The controller deleted the running pod (SIGTERM) before it set Failed.
    assert.equal((await pods(name)).length, 0);
    assert.equal(j.status?.failed, 1);
  });

  test('ttlSecondsAfterFinished deletes the Job and its pods', async () => {
    const name = uniq('ttl');
    await create(jobBody(name, ['true'], { ttlSecondsAfterFinished: 0 }));
    await waitFor('job gone', async () => (await get(name)) === undefined);
    await waitFor('pods gone', async () => (await pods(name)).length === 0);
  });

  test('podFailurePolicy: FailJob on an exit code, Ignore does not count', async () => {
    const name = uniq('pfp');
    await create(
      jobBody(name, ['sh', '-c', 'exit 42'], {
        backoffLimit: 6,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
          ],
        },
      }),
    );
    const j = await waitFor('failed', async () => finished(await get(name)));
    assert.deepEqual(conds(j), ['FailureTarget:PodFailurePolicy', 'Failed:PodFailurePolicy']);
    assert.match(
      String(j.status?.conditions?.[1]?.message),
      /^Container main for pod pipelines\/.+ failed with exit code 42 matching FailJob rule at index 0$/,
    );
    assert.equal((await pods(name)).length, 1);

    const ign = uniq('pfpi');
    await create(
      jobBody(ign, ['sh', '-c', 'if [ -e /tmp/kube-sim-never ]; then exit 0; fi; exit 7'], {
        backoffLimit: 0,
        podFailurePolicy: {
          rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } }],
        },
      }),
    );
    // Ignored failures do not count toward backoffLimit 0: pods keep being replaced.
    await waitFor('replaced twice', async () => (await pods(ign)).length >= 3);
    const cur = await get(ign);
    assert.equal(cur?.status?.failed, undefined);
    assert.equal(finished(cur), undefined);
    await raw(
      sim.url,
      'DELETE',
      `/apis/batch/v1/namespaces/${NS}/jobs/${ign}?propagationPolicy=Background&gracePeriodSeconds=0`,
    );
  });

  test('podFailurePolicy: Count counts toward backoffLimit like a rule-less failure', async () => {
    const name = uniq('pfpc');
    await create(
      jobBody(name, ['sh', '-c', 'exit 3'], {
        backoffLimit: 1,
        podFailurePolicy: { rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [3] } }] },
      }),
    );
    const j = await waitFor('failed', async () => finished(await get(name)));
    assert.deepEqual(conds(j), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    assert.equal(j.status?.failed, 2);
    assert.equal((await pods(name)).length, 2);
  });

  test('eviction sets DisruptionTarget (onPodConditions Ignore); a plain delete does not', async () => {
    const name = uniq('pfpd');
    await create(
      jobBody(name, ['sleep', '30'], {
        backoffLimit: 0,
        podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
      }),
    );
    const running = async () =>
      (await pods(name)).find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    const first = await waitFor('running', running);
    const ev = await raw(sim.url, 'POST', `/api/v1/namespaces/${NS}/pods/${first.metadata.name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: first.metadata.name, namespace: NS },
    });
    assert.equal(ev.status, 201);
    // The evicted pod is ignored by the policy: replaced, not counted, the Job goes on.
    const second = await waitFor('replacement running', async () => {
      const p = await running();
      return p && p.metadata.name !== first.metadata.name ? p : undefined;
    });
    const cur = await get(name);
    assert.equal(cur?.status?.failed, undefined);
    assert.equal(finished(cur), undefined);
    // A plain DELETE is no disruption in Kubernetes: no condition, the failure counts (limit 0).
    const del = await raw(
      sim.url,
      'DELETE',
      `/api/v1/namespaces/${NS}/pods/${second.metadata.name}?gracePeriodSeconds=1`,
    );
    assert.equal(del.status, 200);
    const pod = del.body as Pod;
    assert.equal(
      pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget'),
      false,
    );
    const j = await waitFor('failed', async () => finished(await get(name)));
    assert.deepEqual(conds(j), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    assert.equal(j.status?.failed, 1);
  });

  test('Indexed completions with parallelism: JOB_COMPLETION_INDEX, completedIndexes', async () => {
    const name = uniq('idx');
    await create(
      jobBody(name, ['sh', '-c', 'echo index=$JOB_COMPLETION_INDEX'], {
        completions: 3,
        parallelism: 2,
        completionMode: 'Indexed',
      }),
    );
    const j = await waitFor('complete', async () => finished(await get(name)));
    assert.deepEqual(conds(j), ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);
    assert.equal(j.status?.succeeded, 3);
    assert.equal(j.status?.completedIndexes, '0-2');
    const ps = await pods(name);
    const logs = await Promise.all(
      ps.map(
        async (p) => (await raw(sim.url, 'GET', `/api/v1/namespaces/${NS}/pods/${p.metadata.name}/log`)).body,
      ),
    );
    assert.deepEqual(logs.sort(), ['index=0\n', 'index=1\n', 'index=2\n']);
    for (const p of ps) {
      assert.match(p.metadata.name ?? '', new RegExp(`^${name}-[0-2]-[a-z0-9]{5}$`));
    }
  });

  test('NonIndexed completions 2 parallelism 2 runs two pods at once', async () => {
    const name = uniq('par');
    await create(jobBody(name, ['true'], { completions: 2, parallelism: 2 }));
    const j = await waitFor('complete', async () => finished(await get(name)));
    assert.equal(j.status?.succeeded, 2);
    assert.equal((await pods(name)).length, 2);
  });
});

describe('kubelet (process mode)', () => {
  test('a missing executable: container terminated with 128 StartError, pod Failed', async () => {
    const name = uniq('noexec');
    await create(jobBody(name, ['definitely-not-a-command-kube-sim'], { backoffLimit: 0 }));
    const j = await waitFor('failed', async () => finished(await get(name)));
    assert.deepEqual(conds(j), ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    const [p] = await pods(name);
    assert.equal(p?.status?.phase, 'Failed');
    const t = p?.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(t?.exitCode, 128);
    assert.equal(t?.reason, 'StartError');
    assert.match(String(t?.message), /executable file not found in \$PATH/);
  });

  test('env: values, downward API fieldRefs, $(VAR) expansion; cwd is a scratch dir', async () => {
    const name = uniq('env');
    const job = jobBody(
      name,
      ['sh', '-c', 'echo "$A|$B|$POD|$NS|$UID_|$LBL|$NODE|$IP"; pwd'],
      {},
      {},
      { labels: { team: 'data' } },
    );
    const c = job.spec.template.spec.containers[0];
    assert.ok(c);
    c.env = [
      { name: 'A', value: 'alpha' },
      { name: 'B', value: '$(A)-beta' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID_', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'LBL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ];
    await create(job);
    await waitFor('complete', async () => finished(await get(name)));
    const [p] = await pods(name);
    assert.ok(p);
    const log = String(
      (await raw(sim.url, 'GET', `/api/v1/namespaces/${NS}/pods/${p.metadata.name}/log`)).body,
    );
    const [line, cwd] = log.split('\n');
    assert.equal(
      line,
      `alpha|alpha-beta|${p.metadata.name}|${NS}|${p.metadata.uid}|data|kube-sim-node|${p.status?.podIP}`,
    );
    assert.match(String(cwd), /kube-sim-/);
  });

  test('pod delete: SIGTERM, exit 143, pod removed; the Job replaces it', async () => {
    const name = uniq('sigterm');
    await create(jobBody(name, ['sleep', '60']));
    const p = await waitFor('running', async () =>
      (await pods(name)).find((x) => x.status?.phase === 'Running'),
    );
    const del = await raw(sim.url, 'DELETE', `/api/v1/namespaces/${NS}/pods/${p.metadata.name}`);
    assert.equal(del.status, 200);
    assert.ok((del.body as Pod).metadata.deletionTimestamp);
    await waitFor('replacement', async () =>
      (await pods(name)).some((x) => x.metadata.name !== p.metadata.name),
    );
    const j = await waitFor('failed counted', async () => {
      const cur = await get(name);
      return (cur?.status?.failed ?? 0) >= 1 ? cur : undefined;
    });
    assert.equal(j.status?.failed, 1);
    await raw(sim.url, 'DELETE', `/apis/batch/v1/namespaces/${NS}/jobs/${name}`, {
      propagationPolicy: 'Background',
      gracePeriodSeconds: 0,
    });
    await waitFor('pods gone', async () => (await pods(name)).length === 0);
  });
});

describe('schema', () => {
  test('every Job object seen on the watch validates against the official batch/v1 Job schema', async () => {
    await waitFor('some jobs seen', () => seenJobs.length > 20);
    let n = 0;
    for (const o of [...seenJobs]) {
      // kubernetes-models throws with the failing path if the object does not match the schema.
      new JobModel(o as ConstructorParameters<typeof JobModel>[0]).validate();
      n++;
    }
    assert.ok(n > 20);
  });
});
