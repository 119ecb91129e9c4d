import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatIndexes,
  parseIndexes,
  pastBackoffLimitOnFailure,
  podBackoffDelay,
  reconcileJob,
} from './job-reconcile.ts';
import type { Job, Pod } from './types.ts';

const NOW = Date.parse('2025-01-01T00:00:10Z');

function job(spec: Partial<Job['spec']> = {}, status: Job['status'] = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'ns', uid: 'job-uid' },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      template: { spec: { containers: [{ name: 'main' }] } },
      ...spec,
    },
    status,
  };
}

function pod(uid: string, phase: string, exitCode?: number): Pod {
  const p: Pod = {
    metadata: { name: `p-${uid}`, namespace: 'ns', uid },
    spec: { containers: [{ name: 'main' }] },
    status: { phase },
  };
  if (exitCode !== undefined && p.status) {
    p.status.containerStatuses = [
      {
        name: 'main',
        state: { terminated: { exitCode } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: '',
        imageID: '',
      },
    ];
  }
  return p;
}

const types = (j: { status: Job['status'] }) =>
  (j.status?.conditions ?? []).map((c) => `${c.type}:${c.reason}`);

test('reconcileJob: table of scenarios', () => {
  const cases: {
    name: string;
    job: Job;
    pods: Pod[];
    create: number;
    conds: string[];
    finished: boolean;
  }[] = [
    { name: 'new job creates one pod', job: job(), pods: [], create: 1, conds: [], finished: false },
    {
      name: 'running pod: nothing to do',
      job: job(),
      pods: [pod('a', 'Running')],
      create: 0,
      conds: [],
      finished: false,
    },
    {
      name: 'succeeded: SuccessCriteriaMet and Complete',
      job: job(),
      pods: [pod('a', 'Succeeded', 0)],
      create: 0,
      conds: ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached'],
      finished: true,
    },
    {
      name: 'failed under the limit: replace',
      job: job(),
      pods: [pod('a', 'Failed', 1)],
      create: 1,
      conds: [],
      finished: false,
    },
    {
      name: 'failed over the limit',
      job: job({ backoffLimit: 0 }),
      pods: [pod('a', 'Failed', 1)],
      create: 0,
      conds: ['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded'],
      finished: true,
    },
    {
      name: 'deadline passed with a running pod: FailureTarget only, pod deleted',
      job: job({ activeDeadlineSeconds: 5 }, { startTime: '2025-01-01T00:00:00Z' }),
      pods: [pod('a', 'Running')],
      create: 0,
      conds: ['FailureTarget:DeadlineExceeded'],
      finished: false,
    },
    {
      name: 'podFailurePolicy FailJob',
      job: job({
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
      }),
      pods: [pod('a', 'Failed', 42)],
      create: 0,
      conds: ['FailureTarget:PodFailurePolicy', 'Failed:PodFailurePolicy'],
      finished: true,
    },
    {
      name: 'suspended: no pods, Suspended condition',
      job: job({ suspend: true }),
      pods: [],
      create: 0,
      conds: ['Suspended:JobSuspended'],
      finished: false,
    },
    {
      name: 'indexed parallelism 2 of 3',
      job: job({ completionMode: 'Indexed', completions: 3, parallelism: 2 }),
      pods: [],
      create: 2,
      conds: [],
      finished: false,
    },
  ];
  for (const c of cases) {
    const r = reconcileJob({
      job: c.job,
      pods: c.pods,
      tracked: new Map(),
      lastActive: new Set(),
      nowMs: NOW,
    });
    assert.equal(r.create.length, c.create, c.name);
    assert.deepEqual(types(r), c.conds, c.name);
    assert.equal(r.finished, c.finished, c.name);
  }
});

test('a pod that vanished while active counts as failed', () => {
  const r = reconcileJob({
    job: job(),
    pods: [],
    tracked: new Map(),
    lastActive: new Set(['gone']),
    nowMs: NOW,
  });
  assert.equal(r.status.failed, 1);
  assert.equal(r.create.length, 1);
});

test('completedIndexes format round-trips', () => {
  for (const s of ['', '0', '0-2', '0,2-4,7']) assert.equal(formatIndexes(parseIndexes(s)), s);
});

test('pod replacement backoff: 10s, 20s, 40s ... capped at 6 minutes', () => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 10].map((n) => podBackoffDelay(10_000, 360_000, n));
  assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 360_000, 360_000]);
  assert.equal(podBackoffDelay(10_000, 360_000, 0), 0);
});

test('a failed pod is replaced only after the backoff; a success resets it', () => {
  const backoff = { baseMs: 10_000, maxMs: 360_000, failures: 0, lastFailureMs: 0 };
  // The first failure, seen now: no replacement yet, look again in 10 s.
  const first = reconcileJob({
    job: job(),
    pods: [pod('a', 'Failed', 1)],
    tracked: new Map(),
    lastActive: new Set(),
    nowMs: NOW,
    backoff,
  });
  assert.equal(first.status.failed, 1);
  assert.equal(first.create.length, 0);
  assert.equal(first.requeueAt, NOW + 10_000);
  // Two failures so far, the last 15 s ago: 20 s not over yet.
  const second = reconcileJob({
    job: job({}, { failed: 2 }),
    pods: [],
    tracked: new Map(),
    lastActive: new Set(),
    nowMs: NOW,
    backoff: { ...backoff, failures: 2, lastFailureMs: NOW - 15_000 },
  });
  assert.equal(second.create.length, 0);
  assert.equal(second.requeueAt, NOW + 5_000);
  // ... and over 20 s later the pod is created.
  const third = reconcileJob({
    job: job({}, { failed: 2 }),
    pods: [],
    tracked: new Map(),
    lastActive: new Set(),
    nowMs: NOW + 6_000,
    backoff: { ...backoff, failures: 2, lastFailureMs: NOW - 15_000 },
  });
  assert.equal(third.create.length, 1);
  // A success resets the count: the next pod is created at once.
  const reset = reconcileJob({
    job: job({ completions: 2 }, { failed: 2 }),
    pods: [pod('ok', 'Succeeded')],
    tracked: new Map(),
    lastActive: new Set(),
    nowMs: NOW,
    backoff: { ...backoff, failures: 2, lastFailureMs: NOW },
  });
  assert.equal(reset.create.length, 1);
});

test('a deleted pod is counted by its final state: podFailurePolicy sees DisruptionTarget', () => {
  const evicted = pod('ev', 'Failed', 143);
  if (evicted.status) {
    evicted.status.conditions = [
      { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' },
    ];
  }
  const r = reconcileJob({
    job: job({
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
    }),
    pods: [],
    tracked: new Map(),
    lastActive: new Set(['ev']),
    nowMs: NOW,
    vanished: new Map([['ev', evicted]]),
  });
  assert.equal(r.status.failed, undefined);
  assert.equal(r.counted.get('ev'), 'ignored');
  assert.equal(r.create.length, 1);
});

test('OnFailure: container restarts of Pending/Running pods reach backoffLimit (any restart when it is 0)', () => {
  const restarted = (uid: string, phase: string, restartCount: number): Pod => ({
    metadata: { name: `p-${uid}`, namespace: 'ns', uid },
    spec: { containers: [{ name: 'main' }] },
    status: {
      phase,
      containerStatuses: [
        {
          name: 'main',
          state: { running: {} },
          lastState: {},
          ready: true,
          restartCount,
          image: '',
          imageID: '',
        },
      ],
    },
  });
  const onFailure = (backoffLimit: number) =>
    job({ backoffLimit, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'main' }] } } });
  assert.equal(pastBackoffLimitOnFailure(onFailure(2), [restarted('a', 'Running', 1)]), false);
  assert.equal(
    pastBackoffLimitOnFailure(onFailure(2), [restarted('a', 'Running', 1), restarted('b', 'Pending', 1)]),
    true,
  );
  // terminal pods' restarts do not count
  assert.equal(pastBackoffLimitOnFailure(onFailure(2), [restarted('a', 'Succeeded', 5)]), false);
  assert.equal(pastBackoffLimitOnFailure(onFailure(0), [restarted('a', 'Running', 1)]), true);
  assert.equal(pastBackoffLimitOnFailure(onFailure(0), [restarted('a', 'Running', 0)]), false);
  // restartPolicy Never: restarts are not looked at
  assert.equal(pastBackoffLimitOnFailure(job({ backoffLimit: 1 }), [restarted('a', 'Running', 3)]), false);

  const r = reconcileJob({
    job: onFailure(1),
    pods: [restarted('a', 'Running', 1)],
    tracked: new Map(),
    lastActive: new Set(['a']),
    nowMs: NOW,
  });
  assert.deepEqual(
    r.status.conditions?.map((c) => `${c.type}:${c.reason}`),
    ['FailureTarget:BackoffLimitExceeded'],
  );
  assert.deepEqual(
    r.delete.map((p) => p.metadata.uid),
    ['a'],
  );
});
