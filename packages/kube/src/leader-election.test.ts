// Leader election against kube-sim's Leases through client-node: one leader among candidates, a
// released Lease taken over at once, an abandoned one only after it expires, and a leader that
// cannot renew or sees another holder stops leading.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoordinationV1Api, type KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from '@po/kube-sim';
import { waitFor } from '@po/testkit';
import { loadKubeConfig } from './config.ts';
import { type LeaderElection, type LeaderElectionTiming, startLeaderElection } from './leader-election.ts';
import type { Logger } from './logger.ts';

const NS = 'pipelines';
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let sim: KubeSim;
let kc: KubeConfig;
let leases: CoordinationV1Api;
let n = 0;

before(async () => {
  sim = await startKubeSim();
  kc = loadKubeConfig({ kubeconfigYaml: sim.kubeconfig });
  leases = kc.makeApiClient(CoordinationV1Api);
});
after(() => sim.stop());

/** A candidate that records what it was told. */
function candidate(name: string, identity: string, timing: LeaderElectionTiming) {
  const events: string[] = [];
  const election: LeaderElection = startLeaderElection({
    kc,
    namespace: NS,
    name,
    identity,
    logger: quiet,
    ...timing,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: async () => {
      events.push('stopped');
    },
  });
  return { election, events, identity };
}

const holder = async (name: string) =>
  (await leases.readNamespacedLease({ name, namespace: NS })).spec?.holderIdentity ?? '';

// A lease far longer than any wait below: only a release (or a loss) can explain a change of leader.
const LONG: LeaderElectionTiming = { leaseDurationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 100 };

test('one leader among two candidates; a stopping leader releases, and the standby takes over at once', async () => {
  const name = `lease-${++n}`;
  const a = candidate(name, 'a', LONG);
  const b = candidate(name, 'b', LONG);
  try {
    const first = await waitFor('a leader', () =>
      a.election.leading ? a : b.election.leading ? b : undefined,
    );
    const second = first === a ? b : a;
    assert.equal(second.election.leading, false);
    assert.equal(await holder(name), first.identity);
    await waitFor('the standby to see the leader', () => second.election.leader === first.identity);

    await first.election.stop();
    assert.deepEqual(first.events, ['started', 'stopped']);
    await waitFor('the standby to lead', () => second.election.leading, 10_000);
    const lease = await leases.readNamespacedLease({ name, namespace: NS });
    assert.equal(lease.spec?.holderIdentity, second.identity);
    assert.equal(lease.spec?.leaseTransitions, 1);
  } finally {
    await Promise.all([a.election.stop(), b.election.stop()]);
  }
  assert.equal(await holder(name), '');
});

test('a Lease its holder abandoned (no renewals) is taken over once leaseDuration has passed', async () => {
  const name = `lease-${++n}`;
  const writtenAt = Date.now();
  await leases.createNamespacedLease({
    namespace: NS,
    body: {
      metadata: { name },
      spec: {
        holderIdentity: 'killed',
        leaseDurationSeconds: 2,
        renewTime: new V1MicroTime(writtenAt),
        acquireTime: new V1MicroTime(writtenAt),
      },
    },
  });
  const b = candidate(name, 'b', { leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 100 });
  try {
    await waitFor('b to lead', () => b.election.leading, 10_000);
    // b measures the 2 s on its own clock, from when it first saw the record.
    assert.ok(Date.now() - writtenAt >= 2000, 'taken over before the Lease expired');
    assert.equal(await holder(name), 'b');
  } finally {
    await b.election.stop();
  }
});

test('a leader that sees another holder stops leading at once, and stays a candidate', async () => {
  const name = `lease-${++n}`;
  const a = candidate(name, 'a', LONG);
  try {
    await waitFor('a to lead', () => a.election.leading);
    const lease = await leases.readNamespacedLease({ name, namespace: NS });
    await leases.replaceNamespacedLease({
      name,
      namespace: NS,
      body: {
        ...lease,
        spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new V1MicroTime(Date.now()) },
      },
    });
    await waitFor('a to step down', () => !a.election.leading && a.events.includes('stopped'), 10_000);
    assert.equal(a.election.leader, 'intruder');
  } finally {
    await a.election.stop();
  }
  // a no longer holds it, so it does not release it.
  assert.equal(await holder(name), 'intruder');
});

test('a leader that cannot renew within renewDeadline stops leading', async () => {
  const name = `lease-${++n}`;
  const a = candidate(name, 'a', { leaseDurationMs: 3000, renewDeadlineMs: 1000, retryPeriodMs: 100 });
  let clear: (() => void) | undefined;
  try {
    await waitFor('a to lead', () => a.election.leading);
    clear = sim.faults.error(500, { path: `/leases/${name}` });
    await waitFor('a to step down', () => a.events.includes('stopped'), 10_000);
    assert.equal(a.election.leading, false);
    clear();
    clear = undefined;
    // Its own, unexpired Lease: it takes it back.
    await waitFor('a to lead again', () => a.election.leading, 10_000);
    assert.deepEqual(a.events, ['started', 'stopped', 'started']);
  } finally {
    clear?.();
    await a.election.stop();
  }
});
