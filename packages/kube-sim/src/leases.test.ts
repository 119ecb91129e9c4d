// coordination.k8s.io/v1 Leases through client-node's CoordinationV1Api, as leader election uses them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { rejects, uniq, waitFor } from './test-helpers.ts';

const NS = 'pipelines';
let sim: KubeSim;
let kc: k8s.KubeConfig;
let leases: k8s.CoordinationV1Api;

before(async () => {
  sim = await startKubeSim();
  kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  leases = kc.makeApiClient(k8s.CoordinationV1Api);
});
after(() => sim.stop());

const micro = (d: Date) => new k8s.V1MicroTime(d.getTime());

describe('client-node: Leases', () => {
  test('discovery lists coordination.k8s.io/v1 leases', async () => {
    const apis = kc.makeApiClient(k8s.ApisApi);
    const groups = await apis.getAPIVersions();
    const group = groups.groups.find((g) => g.name === 'coordination.k8s.io');
    assert.equal(group?.preferredVersion?.groupVersion, 'coordination.k8s.io/v1');
    const resources = await kc.makeApiClient(k8s.CoordinationV1Api).getAPIResources();
    const lease = resources.resources.find((r) => r.name === 'leases');
    assert.equal(lease?.kind, 'Lease');
    assert.equal(lease?.namespaced, true);
    assert.ok(lease?.verbs.includes('watch'));
  });

  test('create, get, update with the current resourceVersion, 409 Conflict on a stale one, delete', async () => {
    const name = uniq('lease');
    const acquired = new Date('2026-01-02T03:04:05.123Z');
    const created = await leases.createNamespacedLease({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          holderIdentity: 'a',
          leaseDurationSeconds: 15,
          acquireTime: micro(acquired),
          renewTime: micro(acquired),
          leaseTransitions: 0,
        },
      },
    });
    assert.equal(created.spec?.holderIdentity, 'a');
    assert.equal(created.spec?.leaseDurationSeconds, 15);
    // client-node hands MicroTimes back as the wire's strings.
    assert.equal(String(created.spec?.renewTime), '2026-01-02T03:04:05.123000Z');
    assert.equal(created.metadata?.generation, undefined);

    // The wire form: MicroTime, UTC, six fractional digits.
    const raw = await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`);
    const body = (await raw.json()) as { spec: Record<string, unknown>; apiVersion: string; kind: string };
    assert.equal(body.apiVersion, 'coordination.k8s.io/v1');
    assert.equal(body.kind, 'Lease');
    assert.equal(body.spec.renewTime, '2026-01-02T03:04:05.123000Z');

    const got = await leases.readNamespacedLease({ name, namespace: NS });
    const renewed = new Date(acquired.getTime() + 2000);
    const updated = await leases.replaceNamespacedLease({
      name,
      namespace: NS,
      body: { ...got, spec: { ...got.spec, renewTime: micro(renewed) } },
    });
    assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);
    assert.equal(String(updated.spec?.renewTime), '2026-01-02T03:04:07.123000Z');

    // A second candidate that read before the update loses the race.
    const stale = await rejects(
      leases.replaceNamespacedLease({
        name,
        namespace: NS,
        body: { ...got, spec: { ...got.spec, holderIdentity: 'b' } },
      }),
    );
    assert.equal(stale.code, 409);
    assert.equal(stale.reason, 'Conflict');
    assert.equal(
      stale.message,
      `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );

    // Leases allow no unconditional update.
    const { resourceVersion: _rv, ...meta } = updated.metadata ?? {};
    const unconditional = await rejects(
      leases.replaceNamespacedLease({ name, namespace: NS, body: { ...updated, metadata: meta } }),
    );
    assert.equal(unconditional.code, 422);
    assert.equal(
      unconditional.message,
      `leases.coordination.k8s.io "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
    );

    const dup = await rejects(
      leases.createNamespacedLease({ namespace: NS, body: { metadata: { name }, spec: {} } }),
    );
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    assert.equal(dup.message, `leases.coordination.k8s.io "${name}" already exists`);

    await leases.deleteNamespacedLease({ name, namespace: NS });
    const gone = await rejects(leases.readNamespacedLease({ name, namespace: NS }));
    assert.equal(gone.code, 404);
    assert.equal(gone.message, `leases.coordination.k8s.io "${name}" not found`);
  });

  test('validation: leaseDurationSeconds > 0, leaseTransitions >= 0, MicroTime with microseconds', async () => {
    const name = uniq('bad');
    const invalid = await rejects(
      leases.createNamespacedLease({
        namespace: NS,
        body: { metadata: { name }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } },
      }),
    );
    assert.equal(invalid.code, 422);
    assert.equal(invalid.reason, 'Invalid');
    assert.equal(
      invalid.message,
      `Lease.coordination.k8s.io "${name}" is invalid: [spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]`,
    );

    for (const renewTime of ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.123Z', 'yesterday']) {
      const res = await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name }, spec: { renewTime } }),
      });
      assert.equal(res.status, 400, renewTime);
      const status = (await res.json()) as { reason: string; message: string };
      assert.equal(status.reason, 'BadRequest');
      assert.match(status.message, /^Lease in version "v1" cannot be handled as a Lease: parsing time/);
    }
    const offset = await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name }, spec: { renewTime: '2026-01-02T04:04:05.000001+01:00' } }),
    });
    assert.equal(offset.status, 201);
    const stored = (await offset.json()) as { spec: { renewTime: string } };
    assert.equal(stored.spec.renewTime, '2026-01-02T03:04:05.000001Z');

    const wrongType = await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: uniq('bad') }, spec: { holderIdentity: 7 } }),
    });
    assert.equal(wrongType.status, 400);
  });

  test('a watch sees a holder change', async () => {
    const name = uniq('watched');
    const seen: string[] = [];
    const ctl = await new k8s.Watch(kc).watch(
      `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`,
      { fieldSelector: `metadata.name=${name}` },
      (type, obj: k8s.V1Lease) => seen.push(`${type} ${obj.spec?.holderIdentity ?? ''}`),
      () => {},
    );
    try {
      const created = await leases.createNamespacedLease({
        namespace: NS,
        body: { metadata: { name }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } },
      });
      await leases.replaceNamespacedLease({
        name,
        namespace: NS,
        body: { ...created, spec: { ...created.spec, holderIdentity: 'b' } },
      });
      await waitFor('the watch to see both versions', () => seen.length >= 2);
      assert.deepEqual(seen, ['ADDED a', 'MODIFIED b']);
    } finally {
      ctl.abort();
    }
  });
});
