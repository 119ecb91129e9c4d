import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { CONTAINER_NAME, type PipelineStatus } from '@po/contracts';
import {
  type AttemptView,
  type JobView,
  type PipelineView,
  type Plan,
  plan,
  planUnowned,
} from './planner.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);
const POLICY = { jobAppearTimeoutMs: 60_000, maxCreateRequests: 2, orphanGraceMs: 60_000 };

const pipeline = (status: PipelineStatus, over: Partial<PipelineView> = {}): PipelineView => ({
  status,
  attempt: 1,
  max_attempts: 3,
  admitted_at: status === 'Queued' ? ago(5) : ago(30),
  job: {},
  ...over,
});

const attemptRow = (over: Partial<AttemptView> = {}): AttemptView => ({
  admitted_at: ago(5),
  job_created_at: ago(4),
  job_deleted_at: null,
  job_create_requests: 0,
  job_create_requested_at: null,
  ...over,
});

function job(
  conditions: [type: string, reason?: string][] = [],
  over: Partial<V1Job['metadata']> = {},
): V1Job {
  return {
    metadata: { name: 'pipeline-x-1', namespace: 'pipelines', uid: 'uid-1', ...over },
    spec: { template: {} },
    status: {
      conditions: conditions.map(([type, reason]) => ({ type, status: 'True', reason: reason ?? '' })),
    },
  };
}
const present = (j: V1Job): JobView => ({ kind: 'present', job: j });
const absentInCache: JobView = { kind: 'absent-in-cache' };
const confirmedAbsent: JobView = { kind: 'confirmed-absent' };

function pod(
  phase: string,
  opts: { exitCode?: number; disruption?: string; name?: string; message?: string } = {},
): V1Pod {
  return {
    metadata: { name: opts.name ?? `p-${phase}`, uid: `uid-${opts.name ?? phase}` },
    status: {
      phase,
      ...(opts.disruption
        ? { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: opts.disruption }] }
        : {}),
      ...(opts.exitCode !== undefined
        ? {
            containerStatuses: [
              {
                name: CONTAINER_NAME,
                image: 'x',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: {
                  terminated: {
                    exitCode: opts.exitCode,
                    reason: 'Error',
                    ...(opts.message ? { message: opts.message } : {}),
                  },
                },
              },
            ],
          }
        : {}),
    },
  };
}

interface Case {
  name: string;
  pipeline: PipelineView | undefined;
  attemptRow?: AttemptView | undefined;
  /** the Job's attempt; default 1 */
  attempt?: number;
  job: JobView;
  pods?: V1Pod[];
  gonePods?: V1Pod[];
  /** expected: each step as `to` or `to(reason prefix)`, and each command's type[:detail] */
  steps: string[];
  commands?: string[];
  settled?: PipelineStatus;
  attemptOutcome?: { status: PipelineStatus; reason: string | null };
}

const cases: Case[] = [
  // The Job is seen, for the pipeline's current attempt.
  {
    name: 'Running pipeline, Job running → nothing to do, settled',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: present(job()),
    pods: [pod('Running')],
    steps: [],
    settled: 'Running',
  },
  {
    name: 'admitted pipeline, its pod running → Running',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow(),
    job: present(job()),
    pods: [pod('Running')],
    steps: ['Running'],
    settled: 'Running',
  },
  {
    name: 'admitted pipeline, Job created, pod pending → waits, settled Queued',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow(),
    job: present(job()),
    pods: [pod('Pending')],
    steps: [],
    settled: 'Queued',
  },
  {
    name: 'Running pipeline, Job complete → Succeeded',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: present(job([['Complete']])),
    steps: ['Succeeded'],
    settled: 'Succeeded',
  },
  {
    name: 'Job finished before it was seen Running → Running, then Succeeded',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow(),
    job: present(job([['Complete']])),
    steps: ['Running', 'Succeeded'],
    settled: 'Succeeded',
  },
  {
    name: 'Job failed before it was seen Running → Running, then Failed with the exit code',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'BackoffLimitExceeded']])),
    pods: [pod('Failed', { exitCode: 3 })],
    steps: ['Running', 'Failed(BackoffLimitExceeded: container exited with code 3)'],
    settled: 'Failed',
  },
  {
    name: 'workload exit code not listed as retryable → Failed at once, attempts left or not',
    pipeline: pipeline('Running', { job: { retryableExitCodes: [75] } }),
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'BackoffLimitExceeded']])),
    pods: [pod('Failed', { exitCode: 1 })],
    steps: ['Failed(BackoffLimitExceeded: container exited with code 1)'],
    settled: 'Failed',
  },
  {
    name: "a failed attempt's reason carries the last line of its log tail (FallbackToLogsOnError)",
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'BackoffLimitExceeded']])),
    pods: [pod('Failed', { exitCode: 1, message: 'starting\nerror: input not found: /data/in\n' })],
    steps: ['Failed(BackoffLimitExceeded: exit code 1: error: input not found: /data/in)'],
    settled: 'Failed',
  },
  {
    name: 'exit code the template lists as retryable, attempts left → a new attempt',
    pipeline: pipeline('Running', { job: { retryableExitCodes: [75] } }),
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'BackoffLimitExceeded']])),
    pods: [pod('Failed', { exitCode: 75 })],
    steps: ['Queued(Retrying: attempt 1 of 3 ended: BackoffLimitExceeded: container exited with code 75)'],
    attemptOutcome: { status: 'Failed', reason: 'BackoffLimitExceeded: container exited with code 75' },
  },
  {
    name: 'retryable exit code on the last attempt → Failed',
    pipeline: pipeline('Running', { attempt: 3, job: { retryableExitCodes: [75] } }),
    attempt: 3,
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'BackoffLimitExceeded']])),
    pods: [pod('Failed', { exitCode: 75 })],
    steps: ['Failed(BackoffLimitExceeded: container exited with code 75)'],
    settled: 'Failed',
  },
  {
    name: 'Job failed because a pod was disrupted (no podFailurePolicy) → a new attempt',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'BackoffLimitExceeded']])),
    pods: [pod('Failed', { exitCode: 143, disruption: 'PreemptionByScheduler' })],
    steps: ['Queued(Retrying: attempt 1 of 3 ended: BackoffLimitExceeded: pod DisruptionTarget)'],
    commands: ['record-disruption'],
  },
  {
    name: 'deadline → Timeout, never retried',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'DeadlineExceeded']])),
    steps: ['Timeout(DeadlineExceeded'],
    settled: 'Timeout',
  },
  {
    name: 'evicted pod replaced by the Job (podFailurePolicy Ignore) → stays Running, disruption recorded',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: present(job()),
    pods: [pod('Pending', { name: 'p-new' })],
    gonePods: [pod('Failed', { exitCode: 143, disruption: 'EvictionByEvictionAPI', name: 'p-old' })],
    steps: [],
    commands: ['record-disruption:pod p-old disrupted: EvictionByEvictionAPI'],
  },
  {
    name: 'Job being deleted (our cleanup or a cancel) → nothing',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: present(job([], { deletionTimestamp: ago(1) })),
    steps: [],
  },
  // The Job is not in the cache.
  {
    name: 'Running pipeline, Job absent from the cache → ask the API server first',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: absentInCache,
    steps: [],
    commands: ['confirm-absence'],
  },
  {
    name: 'absent from the cache but present on the server (running) → nothing lost',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    // Read from the server: no pods in the cache, the Job's own counts say it runs.
    job: present({ ...job(), status: { active: 1 } }),
    pods: [],
    steps: [],
    settled: 'Running',
  },
  {
    name: 'Running pipeline, Job confirmed absent → a new attempt (the normal retry path)',
    pipeline: pipeline('Running'),
    attemptRow: attemptRow(),
    job: confirmedAbsent,
    steps: ['Queued(Retrying: attempt 1 of 3 ended: JobDeleted'],
    attemptOutcome: { status: 'Failed', reason: 'JobDeleted: the Job disappeared before it finished' },
  },
  {
    name: 'Running pipeline on its last attempt, Job confirmed absent → Failed',
    pipeline: pipeline('Running', { attempt: 3 }),
    attempt: 3,
    attemptRow: attemptRow(),
    job: confirmedAbsent,
    steps: ['Failed(JobDeleted'],
  },
  {
    name: 'Job deleted while its pipeline is admitted but still Queued → confirm first',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow(),
    job: absentInCache,
    steps: [],
    commands: ['confirm-absence'],
  },
  {
    name: 'Job deleted while its pipeline is admitted but still Queued, confirmed → a new attempt',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow(),
    job: confirmedAbsent,
    steps: ['Queued(Retrying: attempt 1 of 3 ended: JobDeleted'],
    attemptOutcome: { status: 'Failed', reason: 'JobDeleted: the Job disappeared before it finished' },
  },
  {
    name: 'admitted, no Job yet, within the bound → wait (no read)',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow({ job_created_at: null, admitted_at: ago(59) }),
    job: absentInCache,
    steps: [],
  },
  {
    name: 'admitted, no Job yet, beyond the bound → ask the API server',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow({ job_created_at: null, admitted_at: ago(61) }),
    job: absentInCache,
    steps: [],
    commands: ['confirm-absence'],
  },
  {
    name: 'admitted, no Job beyond the bound, but present on the server → follow it',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow({ job_created_at: null, admitted_at: ago(61) }),
    job: present(job()),
    pods: [pod('Running')],
    steps: ['Running'],
    settled: 'Running',
  },
  {
    name: 'admitted, no Job beyond the bound, confirmed absent → ask for it again (1 of 2)',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow({ job_created_at: null, admitted_at: ago(61) }),
    job: confirmedAbsent,
    steps: [],
    commands: ['request-create:1'],
  },
  {
    name: 'asked again recently → wait for that request',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow({
      job_created_at: null,
      admitted_at: ago(200),
      job_create_requests: 1,
      job_create_requested_at: ago(30),
    }),
    job: absentInCache,
    steps: [],
  },
  {
    name: 'asked again, still no Job beyond the bound → ask once more (2 of 2)',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow({
      job_created_at: null,
      admitted_at: ago(200),
      job_create_requests: 1,
      job_create_requested_at: ago(61),
    }),
    job: confirmedAbsent,
    steps: [],
    commands: ['request-create:2'],
  },
  {
    name: 'requests used up, still no Job → Failed with a reason (the slot is given back)',
    pipeline: pipeline('Queued'),
    attemptRow: attemptRow({
      job_created_at: null,
      admitted_at: ago(300),
      job_create_requests: 2,
      job_create_requested_at: ago(61),
    }),
    job: confirmedAbsent,
    steps: ['Failed(JobNeverCreated: no Job appeared within 60 s of admission, nor after 2 more request(s))'],
  },
  {
    name: 'waiting in the queue (not admitted) → no Job expected',
    pipeline: pipeline('Queued', { admitted_at: null }),
    attemptRow: undefined,
    job: confirmedAbsent,
    steps: [],
  },
  {
    name: 'terminal pipeline, Job gone → nothing (its cleanup)',
    pipeline: pipeline('Succeeded'),
    attemptRow: attemptRow({ job_deleted_at: ago(1) }),
    job: absentInCache,
    steps: [],
  },
  {
    name: 'no pipeline, no Job → nothing',
    pipeline: undefined,
    job: confirmedAbsent,
    steps: [],
  },
  // Jobs nobody wants.
  {
    name: 'orphan Job (no such pipeline) → delete it',
    pipeline: undefined,
    job: present(job()),
    steps: [],
    commands: ['delete-orphan:uid-1'],
  },
  {
    name: "an old attempt's Job, its cleanup pending → left to the cleanup",
    pipeline: pipeline('Running', { attempt: 2 }),
    attempt: 1,
    attemptRow: attemptRow(),
    job: present(job([['Failed', 'BackoffLimitExceeded']])),
    steps: [],
  },
  {
    name: "an old attempt's Job after its cleanup (created again) → delete it",
    pipeline: pipeline('Running', { attempt: 2 }),
    attempt: 1,
    attemptRow: attemptRow({ job_deleted_at: ago(10) }),
    job: present(job()),
    steps: [],
    commands: ['delete-orphan:uid-1'],
  },
  {
    name: "a terminal pipeline's Job, logs not yet captured → left to the cleanup, settled",
    pipeline: pipeline('Cancelled'),
    attemptRow: attemptRow(),
    job: present(job()),
    pods: [pod('Running')],
    steps: [],
    settled: 'Cancelled',
  },
  {
    name: "a terminal pipeline's Job after its cleanup → delete it",
    pipeline: pipeline('Cancelled'),
    attemptRow: attemptRow({ job_deleted_at: ago(5) }),
    job: present(job()),
    steps: [],
    commands: ['delete-orphan:uid-1'],
  },
];

function describeCommand(c: Plan['commands'][number]): string {
  switch (c.type) {
    case 'request-create':
      return `request-create:${c.request}`;
    case 'delete-orphan':
      return `delete-orphan:${c.uid}`;
    case 'record-disruption':
      return `record-disruption:${c.reason}`;
    default:
      return c.type;
  }
}

for (const c of cases) {
  test(`plan: ${c.name}`, () => {
    const p = plan({
      attempt: c.attempt ?? 1,
      pipeline: c.pipeline,
      attemptRow: c.attemptRow,
      job: c.job,
      pods: c.pods ?? [],
      gonePods: c.gonePods ?? [],
      now: NOW,
      policy: POLICY,
    });
    assert.equal(p.steps.length, c.steps.length, `steps: ${JSON.stringify(p.steps)}`);
    c.steps.forEach((want, i) => {
      const step = p.steps[i];
      assert.ok(step);
      const m = /^(\w+)(?:\((.*)\)?)?$/.exec(want);
      assert.ok(m);
      assert.equal(step.to, m[1]);
      if (m[2]) assert.ok(step.reason?.startsWith(m[2].replace(/\)$/, '')), `reason: ${step.reason}`);
    });
    const got = p.commands.map(describeCommand);
    const want = c.commands ?? [];
    assert.equal(got.length, want.length, `commands: ${got.join(', ')}`);
    for (const [i, w] of want.entries()) assert.ok(got[i]?.startsWith(w), `command ${got[i]} is not ${w}`);
    assert.equal(p.settled, c.settled);
    if (c.attemptOutcome) assert.deepEqual(p.steps.at(-1)?.attemptOutcome, c.attemptOutcome);
  });
}

/** A Job carrying only our managed-by label (no pipeline or attempt label), made `ageS` seconds ago. */
const bare = (ageS: number, over: Partial<V1Job['metadata']> = {}): V1Job => ({
  metadata: {
    name: 'hand-made',
    namespace: 'pipelines',
    uid: 'uid-bare',
    labels: { 'app.kubernetes.io/managed-by': 'pipeline-operator' },
    creationTimestamp: ago(ageS),
    ...over,
  },
  spec: { template: {} },
});

const unownedCases: { name: string; job: V1Job; commands: string[] }[] = [
  {
    name: 'past its grace period → delete it by name',
    job: bare(61),
    commands: ['delete-orphan:uid-bare:hand-made'],
  },
  {
    name: 'exactly at its grace period → delete it',
    job: bare(60),
    commands: ['delete-orphan:uid-bare:hand-made'],
  },
  { name: 'within its grace period → wait (a resync looks again)', job: bare(59), commands: [] },
  {
    name: 'no creation time → never deleted on a guess',
    job: bare(0, { creationTimestamp: undefined }),
    commands: [],
  },
  { name: 'already being deleted → nothing', job: bare(600, { deletionTimestamp: ago(1) }), commands: [] },
  {
    name: 'not labelled as ours → never touched',
    job: bare(600, { labels: { 'app.kubernetes.io/managed-by': 'someone-else' } }),
    commands: [],
  },
];
for (const c of unownedCases) {
  test(`planUnowned: ${c.name}`, () => {
    const p = planUnowned(c.job, NOW, POLICY);
    assert.deepEqual(p.steps, []);
    assert.deepEqual(
      p.commands.map((x) => (x.type === 'delete-orphan' ? `delete-orphan:${x.uid}:${x.jobName}` : x.type)),
      c.commands,
    );
  });
}
