// Conformance through the real @kubernetes/client-node: what the product's services do.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { followLogToEnd, jobBody, rejects, uniq, waitFor } from './test-helpers.ts';

const NS = 'pipelines';
let sim: KubeSim;
let kc: k8s.KubeConfig;
let batch: k8s.BatchV1Api;
let core: k8s.CoreV1Api;

before(async () => {
  sim = await startKubeSim();
  kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  batch = kc.makeApiClient(k8s.BatchV1Api);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
after(() => sim.stop());

describe('client-node: Jobs', () => {
  test('create, get, list by label selector, AlreadyExists, delete preconditions (Conflict), delete, NotFound', async () => {
    const name = uniq('crud');
    const created = await batch.createNamespacedJob({
      namespace: NS,
      body: jobBody(name, ['true'], {}, { labels: { app: 'crud', run: name } }) as k8s.V1Job,
    });
    assert.equal(created.metadata?.name, name);
    assert.ok(created.metadata?.uid);
    assert.ok(created.metadata?.resourceVersion);
    assert.equal(created.metadata?.generation, 1);
    assert.equal(created.spec?.backoffLimit, 6);
    assert.equal(created.spec?.completions, 1);
    assert.equal(created.spec?.template.metadata?.labels?.['batch.kubernetes.io/job-name'], name);

    const got = await batch.readNamespacedJob({ name, namespace: NS });
    assert.equal(got.metadata?.uid, created.metadata?.uid);

    const list = await batch.listNamespacedJob({ namespace: NS, labelSelector: `app=crud,run in (${name})` });
    assert.deepEqual(
      list.items.map((j) => j.metadata?.name),
      [name],
    );
    const none = await batch.listNamespacedJob({ namespace: NS, labelSelector: `app!=crud,run=${name}` });
    assert.equal(none.items.length, 0);

    const dup = await rejects(
      batch.createNamespacedJob({ namespace: NS, body: jobBody(name, ['true']) as k8s.V1Job }),
    );
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    assert.equal(dup.body.message, `jobs.batch "${name}" already exists`);

    const current = await batch.readNamespacedJob({ name, namespace: NS });
    for (const [field, preconditions, actual, hint] of [
      ['UID', { uid: 'not-its-uid' }, current.metadata?.uid, 'deleted and then recreated'],
      ['ResourceVersion', { resourceVersion: '1' }, current.metadata?.resourceVersion, 'modified'],
    ] as const) {
      const stale = await rejects(
        batch.deleteNamespacedJob({ name, namespace: NS, body: { preconditions } }),
      );
      assert.equal(stale.code, 409);
      assert.equal(stale.reason, 'Conflict');
      assert.equal(
        stale.message,
        `Operation cannot be fulfilled on Job.batch "${name}": the ${field} in the precondition (${Object.values(preconditions)[0]}) does not match the ${field} in record (${actual}). The object might have been ${hint}`,
      );
      // rest.BeforeDelete names the kind, not the resource.
      assert.deepEqual(stale.body.details, { name, group: 'batch', kind: 'Job' });
    }

    await batch.deleteNamespacedJob({ name, namespace: NS, propagationPolicy: 'Background' });
    const nf = await rejects(batch.readNamespacedJob({ name, namespace: NS }));
    assert.equal(nf.code, 404);
    assert.equal(nf.reason, 'NotFound');
    assert.deepEqual(nf.body.details, { name, group: 'batch', kind: 'jobs' });
  });

  test('a Job runs its pod to completion: SuccessCriteriaMet then Complete, pod labels and ownerReferences', async () => {
    const name = uniq('ok');
    await batch.createNamespacedJob({
      namespace: NS,
      body: jobBody(name, ['sh', '-c', 'echo done']) as k8s.V1Job,
    });
    const job = await waitFor('job complete', async () => {
      const j = await batch.readNamespacedJob({ name, namespace: NS });
      return j.status?.conditions?.some((c) => c.type === 'Complete') ? j : undefined;
    });
    assert.deepEqual(
      job.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [
        ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
        ['Complete', 'True', 'CompletionsReached'],
      ],
    );
    assert.equal(job.status?.succeeded, 1);
    assert.ok(job.status?.startTime instanceof Date);
    assert.ok(job.status?.completionTime instanceof Date);
    for (const sel of [`batch.kubernetes.io/job-name=${name}`, `job-name=${name}`]) {
      const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: sel });
      assert.equal(pods.items.length, 1, sel);
      const pod = pods.items[0];
      assert.equal(pod?.status?.phase, 'Succeeded');
      assert.equal(pod?.metadata?.labels?.['controller-uid'], job.metadata?.uid);
      assert.equal(pod?.metadata?.labels?.['batch.kubernetes.io/controller-uid'], job.metadata?.uid);
      assert.deepEqual(
        { ...pod?.metadata?.ownerReferences?.[0] },
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name,
          uid: job.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      );
      const term = pod?.status?.containerStatuses?.[0]?.state?.terminated;
      assert.equal(term?.exitCode, 0);
      assert.equal(term?.reason, 'Completed');
    }
    const succeededPods = await core.listNamespacedPod({
      namespace: NS,
      labelSelector: `job-name=${name}`,
      fieldSelector: 'status.phase=Succeeded',
    });
    assert.equal(succeededPods.items.length, 1);
  });

  test('invalid Jobs get 422 Invalid with causes', async () => {
    const long = 'x'.repeat(64);
    const e1 = await rejects(
      batch.createNamespacedJob({ namespace: NS, body: jobBody(long, ['true']) as k8s.V1Job }),
    );
    assert.equal(e1.code, 422);
    assert.equal(e1.reason, 'Invalid');
    const causes1 = (e1.body.details as { causes: { field: string }[] }).causes;
    assert.ok(causes1.some((c) => c.field === 'metadata.name'));

    const bad = jobBody(uniq('bad'), ['true']);
    bad.spec.template.spec.containers = [{ name: 'main' }];
    const e2 = await rejects(batch.createNamespacedJob({ namespace: NS, body: bad as k8s.V1Job }));
    assert.equal(e2.code, 422);
    assert.deepEqual((e2.body.details as { causes: unknown[] }).causes, [
      {
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'spec.template.spec.containers[0].image',
      },
    ]);
    const e3 = await rejects(
      batch.createNamespacedJob({
        namespace: NS,
        body: {
          metadata: { name: uniq('noc') },
          spec: { template: { spec: { restartPolicy: 'Never', containers: [] } } },
        },
      }),
    );
    assert.equal(e3.code, 422);
    assert.match(String(e3.body.message), /spec\.template\.spec\.containers: Required value/);

    const e4 = await rejects(
      batch.createNamespacedJob({ namespace: 'nope', body: jobBody(uniq('nsx'), ['true']) as k8s.V1Job }),
    );
    assert.equal(e4.code, 404);
    assert.equal(e4.body.message, 'namespaces "nope" not found');
  });

  test('generateName, merge patch of suspend and labels, immutable template, Conflict on stale update', async () => {
    const job = await batch.createNamespacedJob({
      namespace: NS,
      body: { ...jobBody('', ['true'], { suspend: true }), metadata: { generateName: 'gen-' } } as k8s.V1Job,
    });
    const name = job.metadata?.name ?? '';
    assert.match(name, /^gen-[a-z0-9]{5}$/);
    await waitFor('Suspended condition', async () => {
      const j = await batch.readNamespacedJob({ name, namespace: NS });
      return j.status?.conditions?.some((c) => c.type === 'Suspended' && c.status === 'True');
    });
    const patched = await batch.patchNamespacedJob(
      { name, namespace: NS, body: { metadata: { labels: { tier: 'x' } }, spec: { suspend: false } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(patched.metadata?.labels?.tier, 'x');
    assert.equal(patched.spec?.suspend, false);
    assert.equal(patched.metadata?.generation, 2);
    const done = await waitFor('resumed job completes', async () => {
      const j = await batch.readNamespacedJob({ name, namespace: NS });
      return j.status?.conditions?.some((c) => c.type === 'Complete') ? j : undefined;
    });
    assert.equal(done.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'JobResumed');

    const e = await rejects(
      batch.patchNamespacedJob(
        {
          name,
          namespace: NS,
          body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'other' }] } } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    assert.equal(e.code, 422);
    assert.match(String(e.body.message), /spec\.template: Invalid value: .*field is immutable/);

    // Read, modify, replace (kubectl replace / edit): the Job comes back in client-node's own key
    // order, with an empty map where the stored one had none — the same spec to the API server.
    const read = await batch.readNamespacedJob({ name, namespace: NS });
    const tpl = read.spec?.template;
    assert.ok(tpl && read.metadata);
    const edited = {
      ...read,
      metadata: { ...read.metadata, labels: { ...read.metadata.labels, edited: 'yes' } },
      spec: { ...read.spec, template: { ...tpl, metadata: { ...tpl.metadata, annotations: {} } } },
    } as k8s.V1Job;
    const replaced = await batch.replaceNamespacedJob({ name, namespace: NS, body: edited });
    assert.equal(replaced.metadata?.labels?.edited, 'yes');
    assert.equal(replaced.metadata?.generation, read.metadata.generation, 'the spec did not change');

    const stale = { ...done, metadata: { ...done.metadata, resourceVersion: '1' } };
    const c = await rejects(batch.replaceNamespacedJob({ name, namespace: NS, body: stale }));
    assert.equal(c.code, 409);
    assert.equal(c.reason, 'Conflict');
  });

  test('list paging with limit and continue, across namespaces', async () => {
    const names = [uniq('page'), uniq('page'), uniq('page')];
    for (const n of names) {
      await batch.createNamespacedJob({
        namespace: NS,
        body: jobBody(n, ['true'], { suspend: true }, { labels: { page: 'p' } }) as k8s.V1Job,
      });
    }
    const seen: string[] = [];
    let cont: string | undefined;
    do {
      const page = await batch.listJobForAllNamespaces({
        labelSelector: 'page=p',
        limit: 2,
        ...(cont ? { _continue: cont } : {}),
      });
      assert.ok(page.items.length <= 2);
      for (const j of page.items) seen.push(j.metadata?.name ?? '');
      cont = page.metadata?._continue;
    } while (cont);
    assert.deepEqual(seen.sort(), [...names].sort());
  });
});

describe('client-node: watch and informer', () => {
  test('watch from a resourceVersion with a label selector sees ADDED, MODIFIED, DELETED', async () => {
    const label = uniq('w');
    const list = await batch.listNamespacedJob({ namespace: NS, labelSelector: `w=${label}` });
    const events: string[] = [];
    const watch = new k8s.Watch(kc);
    const ctrl = await watch.watch(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: `w=${label}` },
      (type, obj: k8s.V1Job) => events.push(`${type}:${obj.metadata?.name}`),
      () => {},
    );
    const name = uniq('wj');
    await batch.createNamespacedJob({
      namespace: NS,
      body: jobBody(name, ['true'], {}, { labels: { w: label } }) as k8s.V1Job,
    });
    await waitFor('MODIFIED', () => events.includes(`MODIFIED:${name}`));
    await batch.deleteNamespacedJob({ name, namespace: NS, propagationPolicy: 'Background' });
    await waitFor('DELETED', () => events.includes(`DELETED:${name}`));
    ctrl.abort();
    assert.equal(events[0], `ADDED:${name}`);
  });

  test('a watch from a resourceVersion older than the history gets a 410 ERROR event', async () => {
    const list = await batch.listNamespacedJob({ namespace: NS });
    await batch.createNamespacedJob({
      namespace: NS,
      body: jobBody(uniq('gone'), ['true'], { suspend: true }) as k8s.V1Job,
    });
    sim.faults.forceGone();
    let err: unknown;
    const watch = new k8s.Watch(kc);
    const events: unknown[] = [];
    await watch.watch(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj) => events.push([type, obj]),
      (e) => {
        err = e ?? 'done';
      },
    );
    await waitFor('watch ends', () => err !== undefined);
    assert.equal(events.length, 1);
    const [type, obj] = events[0] as [string, { code: number; reason: string; kind: string }];
    assert.equal(type, 'ERROR');
    assert.equal(obj.kind, 'Status');
    assert.equal(obj.code, 410);
    assert.equal(obj.reason, 'Expired');
  });

  test('informer relists after 410 Gone and reports deletes it missed', async () => {
    const label = uniq('inf');
    const sel = `inf=${label}`;
    const path = `/apis/batch/v1/namespaces/${NS}/jobs`;
    const a = uniq('ia');
    const b = uniq('ib');
    for (const n of [a, b]) {
      await batch.createNamespacedJob({
        namespace: NS,
        body: jobBody(n, ['true'], { suspend: true }, { labels: { inf: label } }) as k8s.V1Job,
      });
    }
    const informer = k8s.makeInformer(
      kc,
      path,
      () => batch.listNamespacedJob({ namespace: NS, labelSelector: sel }),
      sel,
    );
    const log: string[] = [];
    informer.on('connect', () => log.push('connect'));
    informer.on('add', (o) => log.push(`add:${o.metadata?.name}`));
    informer.on('delete', (o) => log.push(`delete:${o.metadata?.name}`));
    informer.on('error', (e) => log.push(`error:${String(e)}`));
    await informer.start();
    await waitFor('initial adds', () => log.includes(`add:${a}`) && log.includes(`add:${b}`));
    // Hold the relist back so that a deletion happens while the informer is not watching.
    sim.faults.add({ method: 'GET', path, watch: false, latencyMs: 300, times: 1 });
    sim.faults.forceGone();
    await batch.deleteNamespacedJob({ name: b, namespace: NS, propagationPolicy: 'Background' });
    await waitFor('delete seen through relist', () => log.includes(`delete:${b}`));
    assert.ok(log.filter((l) => l === 'connect').length >= 2, log.join(' '));
    assert.ok(!log.some((l) => l.startsWith('error')), log.join(' '));
    assert.deepEqual(
      informer.list(NS).map((j) => j.metadata?.name),
      [a],
    );
    const c = uniq('ic');
    await batch.createNamespacedJob({
      namespace: NS,
      body: jobBody(c, ['true'], { suspend: true }, { labels: { inf: label } }) as k8s.V1Job,
    });
    await waitFor('watch resumed after relist', () => log.includes(`add:${c}`));
    await informer.stop();
  });
});

describe('client-node: pods and logs', () => {
  test('logs: 400 while ContainerCreating, follow streams lines, logs survive the pod finishing', async () => {
    const name = uniq('logs');
    await batch.createNamespacedJob({
      namespace: NS,
      body: jobBody(
        name,
        ['sh', '-c', 'echo one; echo two >&2; read x < /dev/null; sleep 0.3; echo three'],
        {},
        {},
        {
          annotations: { 'kube-sim.io/start-delay-ms': '400' },
        },
      ) as k8s.V1Job,
    });
    const pod = await waitFor(
      'pod',
      async () =>
        (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` })).items[0],
    );
    const podName = pod.metadata?.name ?? '';
    const waiting = await rejects(
      core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'main' }),
    );
    assert.equal(waiting.code, 400);
    assert.equal(
      waiting.body.message,
      `container "main" in pod "${podName}" is waiting to start: ContainerCreating`,
    );

    await waitFor('running', async () => {
      const p = await core.readNamespacedPod({ name: podName, namespace: NS });
      return p.status?.phase === 'Running' || p.status?.phase === 'Succeeded';
    });
    const text = await followLogToEnd(kc, NS, podName, 'main');
    assert.equal(text, 'one\ntwo\nthree\n');

    await waitFor(
      'pod succeeded',
      async () =>
        (await core.readNamespacedPod({ name: podName, namespace: NS })).status?.phase === 'Succeeded',
    );
    const tail = await core.readNamespacedPodLog({ name: podName, namespace: NS, tailLines: 1 });
    assert.equal(tail, 'three\n');
    const ts = await core.readNamespacedPodLog({ name: podName, namespace: NS, timestamps: true });
    assert.match(String(ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z one\n/);
    const limited = await core.readNamespacedPodLog({ name: podName, namespace: NS, limitBytes: 5 });
    assert.equal(limited, 'one\nt');
    const recent = await core.readNamespacedPodLog({ name: podName, namespace: NS, sinceSeconds: 3600 });
    assert.equal(recent, 'one\ntwo\nthree\n');
  });

  test('delete propagation: Jobs orphan pods by default, Background deletes them, Foreground deletes pods first', async () => {
    const mk = async () => {
      const name = uniq('prop');
      await batch.createNamespacedJob({ namespace: NS, body: jobBody(name, ['sleep', '30']) as k8s.V1Job });
      const pod = await waitFor('pod running', async () => {
        const p = (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` }))
          .items[0];
        return p?.status?.phase === 'Running' ? p : undefined;
      });
      return { name, pod: pod.metadata?.name ?? '' };
    };
    // default: Orphan
    const o = await mk();
    await batch.deleteNamespacedJob({ name: o.name, namespace: NS });
    const orphan = await waitFor('ownerReferences removed', async () => {
      const p = await core.readNamespacedPod({ name: o.pod, namespace: NS });
      return p.metadata?.ownerReferences === undefined ? p : undefined;
    });
    assert.equal(orphan.status?.phase, 'Running');
    await core.deleteNamespacedPod({ name: o.pod, namespace: NS, gracePeriodSeconds: 0 });

    // Background
    const b = await mk();
    await batch.deleteNamespacedJob({ name: b.name, namespace: NS, propagationPolicy: 'Background' });
    await waitFor('pod gone', async () => {
      const e = await rejects(core.readNamespacedPod({ name: b.pod, namespace: NS }));
      return e.code === 404;
    });

    // Foreground: the Job stays (with deletionTimestamp) until its pods are gone
    const f = await mk();
    await batch.deleteNamespacedJob({
      name: f.name,
      namespace: NS,
      body: { propagationPolicy: 'Foreground' },
    });
    const j = await batch.readNamespacedJob({ name: f.name, namespace: NS }).catch(() => undefined);
    if (j) {
      assert.ok(j.metadata?.deletionTimestamp);
      assert.ok(j.metadata?.finalizers?.includes('foregroundDeletion'));
    }
    await waitFor(
      'job gone',
      async () => (await rejects(batch.readNamespacedJob({ name: f.name, namespace: NS }))).code === 404,
    );
    const p = await rejects(core.readNamespacedPod({ name: f.pod, namespace: NS }));
    assert.equal(p.code, 404);
  });
});
