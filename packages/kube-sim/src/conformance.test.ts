// kube-sim answers as a real kube-apiserver v1.32 does: each test pins one difference found by
// sending the same requests to both (issue 10), asserting the real server's status, reason, body
// shape and headers, through raw HTTP and through @kubernetes/client-node.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type KubeSim, startKubeSim } from './index.ts';
import { clients, jobBody, raw, rejects, uniq, waitFor } from './test-helpers.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
type Body = any;

let sim: KubeSim;
const NS = 'default';
const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;

before(async () => {
  sim = await startKubeSim({ mode: 'fast', fast: { durationMs: 20 } });
});
after(() => sim.stop());

async function http(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
) {
  const r = await fetch(sim.url + path, { method, headers: init.headers ?? {}, body: init.body ?? null });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, headers: r.headers, text, body: body as Body };
}

/** Reads watch events until the stream ends or `n` events arrived. */
async function watchLines(path: string, n: number, ms = 3_000): Promise<Body[]> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), ms);
  const out: Body[] = [];
  try {
    const r = await fetch(sim.url + path, { signal: ctl.signal });
    assert.equal(r.status, 200);
    const reader = r.body?.getReader();
    let buf = '';
    while (reader && out.length < n) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i = buf.indexOf('\n');
      while (i >= 0) {
        out.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return out;
}

function suspended(name: string) {
  return jobBody(name, ['true'], { suspend: true });
}

async function createJob(name: string) {
  const r = await raw(sim.url, 'POST', JOBS, suspended(name));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as Body;
}

describe('1. watch parameter', () => {
  test('any value but false/0 starts a watch (True, t, yes); false and 0 list', async () => {
    await createJob(uniq('watched'));
    for (const v of ['True', 't', 'yes', '1', '']) {
      // A watch from "now" with a 1 s timeout: an empty stream, never a list.
      const rv = (await http('GET', JOBS)).body.metadata.resourceVersion;
      const r = await http('GET', `${JOBS}?watch=${v}&resourceVersion=${rv}&timeoutSeconds=1`);
      assert.equal(r.status, 200);
      assert.equal(r.text, '', `watch=${v} must watch, got ${r.text.slice(0, 80)}`);
    }
    for (const v of ['false', 'False', '0']) {
      const r = await http('GET', `${JOBS}?watch=${v}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.kind, 'JobList', `watch=${v}`);
    }
  });
});

describe('3. request Content-Type', () => {
  test('a YAML body creates (201); text/plain is 415 listing the accepted types', async () => {
    const name = uniq('yaml');
    const yaml = `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: ["true"]
`;
    const ok = await http('POST', JOBS, { body: yaml, headers: { 'content-type': 'application/yaml' } });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.metadata.name, name);
    const bad = await http('POST', JOBS, {
      body: JSON.stringify(suspended(uniq('plain'))),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(bad.status, 415);
    assert.equal(bad.body.reason, 'UnsupportedMediaType');
    assert.equal(
      bad.body.message,
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    );
  });
});

describe('4. query options are validated', () => {
  test('dryRun=Bogus is 422 on CreateOptions and creates nothing', async () => {
    const name = uniq('dry');
    const r = await raw(sim.url, 'POST', `${JOBS}?dryRun=Bogus`, suspended(name));
    assert.equal(r.status, 422);
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Bogus"]: supported values: "All"',
      reason: 'Invalid',
      details: {
        group: 'meta.k8s.io',
        kind: 'CreateOptions',
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: 'Unsupported value: ["Bogus"]: supported values: "All"',
            field: 'dryRun',
          },
        ],
      },
      code: 422,
    });
    assert.equal((await raw(sim.url, 'GET', `${JOBS}/${name}`)).status, 404);
  });

  test('resourceVersionMatch without resourceVersion, or Exact with 0: 422 on ListOptions', async () => {
    const a = await http('GET', `${JOBS}?resourceVersionMatch=NotOlderThan`);
    assert.equal(a.status, 422);
    assert.equal(
      a.body.message,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
    const b = await http('GET', `${JOBS}?resourceVersion=0&resourceVersionMatch=Exact`);
    assert.equal(b.status, 422);
    assert.equal(
      b.body.message,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
  });

  test('resourceVersionMatch=Exact lists the state at that resourceVersion', async () => {
    const name = uniq('exact');
    const created = await createJob(name);
    const rv = created.metadata.resourceVersion;
    await raw(
      sim.url,
      'PATCH',
      `${JOBS}/${name}`,
      { metadata: { labels: { later: 'yes' } } },
      'application/merge-patch+json',
    );
    const r = await http('GET', `${JOBS}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    assert.equal(r.status, 200);
    assert.equal(r.body.metadata.resourceVersion, rv);
    const item = r.body.items.find((j: Body) => j.metadata.name === name);
    assert.equal(item.metadata.resourceVersion, rv);
    assert.equal(item.metadata.labels?.later, undefined);
    const old = await http('GET', `${JOBS}?resourceVersion=1&resourceVersionMatch=Exact`);
    assert.equal(old.status, 410);
    assert.equal(old.body.reason, 'Expired');
    assert.equal(old.body.message, 'The resourceVersion for the provided list is too old.');
  });

  test('a resourceVersion in the future: 504 Too large resource version, retry after 1 s', async () => {
    const r = await http('GET', `${JOBS}?resourceVersion=99999999`);
    assert.equal(r.status, 504);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.body.reason, 'Timeout');
    assert.match(r.body.message, /^Timeout: Too large resource version: 99999999, current: \d+$/);
    assert.deepEqual(r.body.details, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
  });

  test('propagationPolicy=Sideways is 422 before the lookup (even for a missing Job)', async () => {
    const r = await http('DELETE', `${JOBS}/no-such-job?propagationPolicy=Sideways`);
    assert.equal(r.status, 422);
    assert.equal(
      r.body.message,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"',
    );
  });
});

describe('5. watches from too-old resourceVersions', () => {
  test('one ERROR event (410 Expired, "too old resource version: X (Y)"), then the stream ends', async () => {
    const ev = await watchLines(`${JOBS}?watch=true&resourceVersion=1`, 5);
    assert.equal(ev.length, 1);
    assert.equal(ev[0]?.type, 'ERROR');
    assert.equal(ev[0]?.object.code, 410);
    assert.equal(ev[0]?.object.reason, 'Expired');
    assert.match(ev[0]?.object.message, /^too old resource version: 1 \(\d+\)$/);
  });

  test('the legacy /watch/ path watches', async () => {
    const name = uniq('legacy');
    const got = watchLines(`/apis/batch/v1/watch/namespaces/${NS}/jobs?timeoutSeconds=2`, 50);
    await createJob(name);
    const ev = await got;
    assert.ok(ev.some((e) => e.type === 'ADDED' && e.object.metadata.name === name));
  });
});

describe('6. Job DELETE responses', () => {
  test('default policy: 200 with the Job (deletionTimestamp, orphan finalizer) and the Warning; pods orphaned', async () => {
    const name = uniq('del');
    const r0 = await raw(sim.url, 'POST', JOBS, jobBody(name, ['sleep', '30']));
    assert.equal(r0.status, 201);
    const { core } = clients(sim);
    const pod = await waitFor('pod', async () => {
      const l = await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` });
      return l.items[0];
    });
    const r = await http('DELETE', `${JOBS}/${name}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.kind, 'Job');
    assert.ok(r.body.metadata.deletionTimestamp);
    assert.deepEqual(r.body.metadata.finalizers, ['orphan']);
    assert.equal(
      r.headers.get('warning'),
      '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"',
    );
    await waitFor('job gone', async () =>
      (await raw(sim.url, 'GET', `${JOBS}/${name}`)).status === 404 ? true : undefined,
    );
    const orphan = await core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: NS });
    assert.equal(orphan.metadata?.ownerReferences, undefined);
    await core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace: NS, gracePeriodSeconds: 0 });
  });

  test('Orphan: no warning; Foreground and dryRun=All: 200 (not 202)', async () => {
    const a = uniq('orph');
    await createJob(a);
    const r = await http('DELETE', `${JOBS}/${a}?propagationPolicy=Orphan`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('warning'), null);
    const b = uniq('fg');
    await createJob(b);
    const dry = await http('DELETE', `${JOBS}/${b}?propagationPolicy=Background&dryRun=All`);
    assert.equal(dry.status, 200);
    assert.equal((await raw(sim.url, 'GET', `${JOBS}/${b}`)).status, 200);
    const fg = await http('DELETE', `${JOBS}/${b}?propagationPolicy=Foreground`);
    assert.equal(fg.status, 200);
    assert.deepEqual(fg.body.metadata.finalizers, ['foregroundDeletion']);
  });
});

describe('7. Job pods', () => {
  test('job-tracking finalizer (removed once counted), no generation, token volume, default tolerations', async () => {
    const name = uniq('pod');
    await raw(sim.url, 'POST', JOBS, jobBody(name, ['true']));
    const { core, batch } = clients(sim);
    const pod = await waitFor('pod', async () => {
      const l = await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` });
      return l.items[0];
    });
    assert.equal(pod.metadata?.generation, undefined);
    const vol = pod.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    assert.match(vol?.name ?? '', /^kube-api-access-[a-z0-9]{5}$/);
    assert.equal(vol?.projected?.sources?.[0]?.serviceAccountToken?.expirationSeconds, 3607);
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
    assert.deepEqual(plain(pod.spec?.containers[0]?.volumeMounts), [
      { name: vol?.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
    assert.deepEqual(plain(pod.spec?.tolerations), [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    await waitFor('complete', async () => {
      const j = await batch.readNamespacedJob({ name, namespace: NS });
      return j.status?.succeeded === 1 ? j : undefined;
    });
    const done = await waitFor('finalizer removed', async () => {
      const p = await core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: NS });
      return (p.metadata?.finalizers ?? []).length === 0 ? p : undefined;
    });
    assert.equal(done.status?.phase, 'Succeeded');
    assert.deepEqual(pod.metadata?.finalizers, ['batch.kubernetes.io/job-tracking']);
  });

  test('automountServiceAccountToken: false: no token volume', async () => {
    const r = await raw(sim.url, 'POST', `/api/v1/namespaces/${NS}/pods`, {
      metadata: { name: uniq('noauto') },
      spec: { automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox' }] },
    });
    const b = r.body as Body;
    assert.equal(b.spec.volumes, undefined);
    assert.equal(b.spec.containers[0].volumeMounts, undefined);
  });
});

describe('8. paging', () => {
  test('no remainingItemCount with a label selector; resourceVersion=0 ignores limit', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await raw(
        sim.url,
        'POST',
        JOBS,
        jobBody(uniq('page'), ['true'], { suspend: true }, { labels: { page: 'p' } }),
      );
      assert.equal(r.status, 201);
    }
    const all = await http('GET', `${JOBS}?limit=1`);
    assert.ok(all.body.metadata.continue);
    assert.equal(typeof all.body.metadata.remainingItemCount, 'number');
    const sel = await http('GET', `${JOBS}?limit=1&labelSelector=page%3Dp`);
    assert.ok(sel.body.metadata.continue);
    assert.equal(sel.body.metadata.remainingItemCount, undefined);
    const cache = await http('GET', `${JOBS}?limit=1&resourceVersion=0`);
    assert.ok(cache.body.items.length >= 3);
    assert.equal(cache.body.metadata.continue, undefined);
  });
});

describe('9. response negotiation', () => {
  test('Accept YAML is YAML; protobuf alone or XML is 406 listing what the server writes', async () => {
    const y = await http('GET', `/api/v1/namespaces/${NS}`, { headers: { accept: 'application/yaml' } });
    assert.equal(y.status, 200);
    assert.equal(y.headers.get('content-type'), 'application/yaml');
    assert.match(y.text, /^apiVersion: v1\nkind: Namespace\nmetadata:\n/);
    for (const accept of ['application/xml', 'application/vnd.kubernetes.protobuf']) {
      const r = await http('GET', `/api/v1/namespaces/${NS}`, { headers: { accept } });
      assert.equal(r.status, 406, accept);
      assert.equal(r.body.reason, 'NotAcceptable');
      assert.equal(
        r.body.message,
        'only the following media types are accepted: application/json, application/yaml',
      );
    }
    const fallback = await http('GET', `/api/v1/namespaces/${NS}`, {
      headers: { accept: 'application/vnd.kubernetes.protobuf, application/json' },
    });
    assert.equal(fallback.status, 200);
    assert.equal(fallback.body.kind, 'Namespace');
  });
});

describe('10. discovery', () => {
  test('aggregated discovery v2; cronjobs in batch/v1; pods/exec listed; unknown group is a plain-text 404', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const agg = await http('GET', '/apis', { headers: { accept } });
    assert.equal(
      agg.headers.get('content-type'),
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    );
    assert.equal(agg.body.kind, 'APIGroupDiscoveryList');
    const batchGroup = agg.body.items.find((g: Body) => g.metadata.name === 'batch');
    const names = batchGroup.versions[0].resources.map((r: Body) => r.resource);
    assert.deepEqual(names.sort(), ['cronjobs', 'jobs']);
    const core = await http('GET', '/api', { headers: { accept } });
    const pods = core.body.items[0].versions[0].resources.find((r: Body) => r.resource === 'pods');
    assert.ok(pods.subresources.some((s: Body) => s.subresource === 'exec'));
    const legacy = await http('GET', '/apis/batch/v1');
    assert.ok(legacy.body.resources.some((r: Body) => r.name === 'cronjobs'));
    const v1 = await http('GET', '/api/v1');
    assert.ok(v1.body.resources.some((r: Body) => r.name === 'pods/exec'));
    const unknown = await http('GET', '/apis/nope.example.com/v1/things');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '404 page not found\n');
    assert.match(unknown.headers.get('content-type') ?? '', /^text\/plain/);
    const missing = await http('GET', '/apis/batch/v1/things');
    assert.equal(missing.body.reason, 'NotFound');
  });
});

describe('11. stored objects', () => {
  test('managedFields on create; manualSelector false kept; a label sent with a /status patch is applied', async () => {
    const name = uniq('mf');
    const body = jobBody(name, ['true'], { suspend: true, manualSelector: false });
    const r = await http('POST', `${JOBS}?fieldManager=my-tool`, {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.spec.manualSelector, false);
    const mf = r.body.metadata.managedFields;
    assert.equal(mf.length, 1);
    assert.equal(mf[0].manager, 'my-tool');
    assert.equal(mf[0].operation, 'Update');
    assert.equal(mf[0].fieldsV1['f:spec']['f:suspend'] !== undefined, true);
    const st = await http('PATCH', `${JOBS}/${name}/status`, {
      body: JSON.stringify({ metadata: { labels: { via: 'status' } } }),
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    assert.equal(st.status, 200);
    assert.equal(st.body.metadata.labels.via, 'status');
  });
});

describe('2. server-side apply', () => {
  test('apply-patch+yaml creates (201), then updates (200); 422 without fieldManager; 409 on a conflict', async () => {
    const name = uniq('ssa');
    const doc = (p: number) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\nspec:\n  suspend: true\n  parallelism: ${p}\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: busybox:1.36\n`;
    const headers = { 'content-type': 'application/apply-patch+yaml' };
    const noManager = await http('PATCH', `${JOBS}/${name}`, { body: doc(1), headers });
    assert.equal(noManager.status, 422);
    assert.equal(
      noManager.body.message,
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const created = await http('PATCH', `${JOBS}/${name}?fieldManager=ci`, { body: doc(1), headers });
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.managedFields[0].operation, 'Apply');
    const updated = await http('PATCH', `${JOBS}/${name}?fieldManager=ci`, { body: doc(2), headers });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.spec.parallelism, 2);
    const conflict = await http('PATCH', `${JOBS}/${name}?fieldManager=other`, { body: doc(3), headers });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.reason, 'Conflict');
    assert.equal(
      conflict.body.message,
      'Apply failed with 1 conflict: conflict with "ci": .spec.parallelism',
    );
    assert.deepEqual(conflict.body.details, {
      causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "ci"', field: '.spec.parallelism' }],
    });
    const forced = await http('PATCH', `${JOBS}/${name}?fieldManager=other&force=true`, {
      body: doc(3),
      headers,
    });
    assert.equal(forced.status, 200);
    assert.equal(forced.body.spec.parallelism, 3);
  });
});

describe('12. errors and JSON', () => {
  test('json-patch remove of a missing path: 422 Invalid', async () => {
    const name = uniq('jp');
    await createJob(name);
    const r = await raw(
      sim.url,
      'PATCH',
      `${JOBS}/${name}`,
      [{ op: 'remove', path: '/metadata/labels/nope' }],
      'application/json-patch+json',
    );
    assert.equal(r.status, 422);
    assert.equal((r.body as Record<string, unknown>).reason, 'Invalid');
  });

  test('restartPolicy Always in a Job: Unsupported value cause', async () => {
    const { batch } = clients(sim);
    const body = jobBody(uniq('always'), ['true']);
    (body.spec.template.spec as { restartPolicy: string }).restartPolicy = 'Always';
    const st = await rejects(batch.createNamespacedJob({ namespace: NS, body: body as never }));
    assert.equal(st.code, 422);
    assert.match(
      st.message,
      /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/,
    );
  });

  test('JSON escapes U+2028, U+2029, <, > and & as Go does', async () => {
    const name = uniq('esc');
    const body = suspended(name);
    body.metadata.annotations = { note: 'a<b>&c\u2028d\u2029' };
    const r = await http('POST', JOBS, {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    assert.ok(r.text.includes('"note":"a\\u003cb\\u003e\\u0026c\\u2028d\\u2029"'), r.text);
    assert.equal(r.body.metadata.annotations.note, 'a<b>&c\u2028d\u2029');
  });
});
