import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1ContainerState, V1Job, V1Pod } from '@kubernetes/client-node';
import { CONTAINER_NAME } from '@po/contracts';
import { disruptionOf, type JobOutcome, mapJobStatus } from './status.ts';

function job(
  opts: {
    conditions?: [type: string, reason?: string, message?: string][];
    active?: number;
    ready?: number;
    deleting?: boolean;
    suspend?: boolean;
  } = {},
): V1Job {
  return {
    metadata: {
      name: 'j',
      ...(opts.deleting ? { deletionTimestamp: new Date('2026-01-01T00:00:00Z') } : {}),
    },
    spec: { template: {}, ...(opts.suspend ? { suspend: true } : {}) },
    status: {
      ...(opts.active !== undefined ? { active: opts.active } : {}),
      ...(opts.ready !== undefined ? { ready: opts.ready } : {}),
      conditions: (opts.conditions ?? []).map(([type, reason, message]) => ({
        type,
        status: 'True',
        ...(reason ? { reason } : {}),
        ...(message ? { message } : {}),
      })),
    },
  };
}

function pod(phase: string, state?: V1ContainerState, finishedAt?: string, reason?: string): V1Pod {
  return {
    metadata: { name: `p-${phase}-${finishedAt ?? ''}`, creationTimestamp: new Date('2026-01-01T00:00:00Z') },
    status: {
      phase,
      ...(reason ? { reason } : {}),
      containerStatuses: state
        ? [
            {
              name: CONTAINER_NAME,
              image: 'x',
              imageID: '',
              ready: phase === 'Running',
              restartCount: 0,
              state,
            },
          ]
        : [],
    },
  };
}
const exited = (exitCode: number, finishedAt = '2026-01-01T00:01:00Z', reason = 'Error', message?: string) =>
  pod(
    'Failed',
    { terminated: { exitCode, reason, finishedAt: new Date(finishedAt), ...(message ? { message } : {}) } },
    finishedAt,
  );
const running = () => pod('Running', { running: { startedAt: new Date('2026-01-01T00:00:10Z') } });
const pending = (reason = 'ContainerCreating', message?: string) =>
  pod('Pending', { waiting: { reason, ...(message ? { message } : {}) } });
const succeeded = () =>
  pod('Succeeded', {
    terminated: { exitCode: 0, reason: 'Completed', finishedAt: new Date('2026-01-01T00:01:00Z') },
  });

const cases: { name: string; job: V1Job; pods?: V1Pod[]; expect: JobOutcome | null }[] = [
  { name: 'just created', job: job(), expect: { status: 'Queued', reason: null, exitCode: null } },
  {
    name: 'created, no pods yet',
    job: job(),
    pods: [],
    expect: { status: 'Queued', reason: null, exitCode: null },
  },
  {
    name: 'pod pending (image pull)',
    job: job({ active: 1 }),
    pods: [pending('ImagePullBackOff', 'Back-off pulling image "x"')],
    expect: { status: 'Queued', reason: 'ImagePullBackOff: Back-off pulling image "x"', exitCode: null },
  },
  {
    name: 'active without pods known',
    job: job({ active: 1 }),
    expect: { status: 'Running', reason: null, exitCode: null },
  },
  {
    name: 'ready',
    job: job({ active: 1, ready: 1 }),
    pods: [],
    expect: { status: 'Running', reason: null, exitCode: null },
  },
  {
    name: 'pod running',
    job: job({ active: 1 }),
    pods: [running()],
    expect: { status: 'Running', reason: null, exitCode: null },
  },
  {
    name: 'between retries (one failed, one pending)',
    job: job({ active: 1 }),
    pods: [exited(1), pending()],
    expect: { status: 'Running', reason: null, exitCode: null },
  },
  {
    name: 'suspended',
    job: job({ suspend: true }),
    expect: { status: 'Queued', reason: 'Suspended', exitCode: null },
  },
  {
    name: 'complete',
    job: job({ conditions: [['SuccessCriteriaMet'], ['Complete']] }),
    pods: [succeeded()],
    expect: { status: 'Succeeded', reason: null, exitCode: 0 },
  },
  {
    name: 'success criteria met (before Complete)',
    job: job({ conditions: [['SuccessCriteriaMet', 'CompletionsReached']], active: 0 }),
    expect: { status: 'Succeeded', reason: null, exitCode: 0 },
  },
  {
    name: 'backoff limit exceeded with exit code',
    job: job({
      conditions: [
        ['FailureTarget', 'BackoffLimitExceeded'],
        ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ],
    }),
    pods: [exited(1)],
    expect: { status: 'Failed', reason: 'BackoffLimitExceeded: container exited with code 1', exitCode: 1 },
  },
  {
    name: 'the log tail (FallbackToLogsOnError) gives the last line it printed',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [exited(1, undefined, 'Error', 'reading /data/in\nerror: input not found: /data/in\n')],
    expect: {
      status: 'Failed',
      reason: 'BackoffLimitExceeded: exit code 1: error: input not found: /data/in',
      exitCode: 1,
    },
  },
  {
    name: 'trailing blank lines and spaces are skipped',
    job: job({ conditions: [['Failed', 'PodFailurePolicy']] }),
    pods: [exited(2, undefined, 'Error', 'first\n  bad   thing \r\n\n\n')],
    expect: { status: 'Failed', reason: 'PodFailurePolicy: exit code 2: bad thing', exitCode: 2 },
  },
  {
    name: 'a blank message says nothing',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [exited(1, undefined, 'Error', '\n \n')],
    expect: { status: 'Failed', reason: 'BackoffLimitExceeded: container exited with code 1', exitCode: 1 },
  },
  {
    name: 'a very long last line is cut',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [exited(1, undefined, 'Error', `${'y'.repeat(500)}\n`)],
    expect: {
      status: 'Failed',
      reason: `BackoffLimitExceeded: exit code 1: ${'y'.repeat(299)}…`,
      exitCode: 1,
    },
  },
  {
    name: 'failure target only (terminal already)',
    job: job({
      conditions: [['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit']],
      active: 1,
    }),
    pods: [exited(3)],
    expect: { status: 'Failed', reason: 'BackoffLimitExceeded: container exited with code 3', exitCode: 3 },
  },
  {
    name: 'newest failed pod wins',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [
      exited(2, '2026-01-01T00:05:00Z'),
      exited(7, '2026-01-01T00:09:00Z'),
      exited(4, '2026-01-01T00:07:00Z'),
    ],
    expect: { status: 'Failed', reason: 'BackoffLimitExceeded: container exited with code 7', exitCode: 7 },
  },
  {
    name: 'failed without pods: condition message',
    job: job({
      conditions: [['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit']],
    }),
    expect: {
      status: 'Failed',
      reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
      exitCode: null,
    },
  },
  {
    name: 'failed without reason or pods',
    job: job({ conditions: [['Failed']] }),
    expect: { status: 'Failed', reason: 'Failed', exitCode: null },
  },
  {
    name: 'start error (executable not found)',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [exited(128, undefined, 'StartError', 'exec: "nope": executable file not found in $PATH')],
    expect: { status: 'Failed', reason: 'StartError: executable not found', exitCode: 128 },
  },
  {
    name: 'start error (other)',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [exited(128, undefined, 'StartError', 'permission denied')],
    expect: { status: 'Failed', reason: 'StartError: permission denied', exitCode: 128 },
  },
  {
    name: 'OOMKilled',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [exited(137, undefined, 'OOMKilled')],
    expect: {
      status: 'Failed',
      reason: 'BackoffLimitExceeded: container was OOMKilled (exit code 137)',
      exitCode: 137,
    },
  },
  {
    name: 'pod failure policy',
    job: job({
      conditions: [['Failed', 'PodFailurePolicy', 'Container pipeline for pod x failed with exit code 42']],
    }),
    pods: [exited(42)],
    expect: { status: 'Failed', reason: 'PodFailurePolicy: container exited with code 42', exitCode: 42 },
  },
  {
    name: 'pod evicted (no container state)',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [pod('Failed', undefined, undefined, 'Evicted')],
    expect: {
      status: 'Failed',
      reason: 'BackoffLimitExceeded: pod Evicted',
      exitCode: null,
      retryable: true,
    },
  },
  {
    name: 'pod killed by a disruption (DisruptionTarget), exit code 143 → retryable',
    job: job({ conditions: [['Failed', 'BackoffLimitExceeded']] }),
    pods: [
      {
        ...exited(143),
        status: {
          ...exited(143).status,
          conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }],
        },
      },
    ],
    expect: {
      status: 'Failed',
      reason: 'BackoffLimitExceeded: pod DisruptionTarget',
      exitCode: 143,
      retryable: true,
    },
  },
  {
    name: 'deadline exceeded → Timeout',
    job: job({
      conditions: [['Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline']],
    }),
    pods: [exited(143, undefined, 'Error')],
    expect: {
      status: 'Timeout',
      reason: 'DeadlineExceeded: Job was active longer than specified deadline',
      exitCode: 143,
    },
  },
  {
    name: 'deadline as FailureTarget while pod still running',
    job: job({
      conditions: [['FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline']],
      active: 1,
    }),
    pods: [running()],
    expect: {
      status: 'Timeout',
      reason: 'DeadlineExceeded: Job was active longer than specified deadline',
      exitCode: null,
    },
  },
  {
    name: 'condition with status False is ignored',
    job: { ...job({ active: 1 }), status: { active: 1, conditions: [{ type: 'Failed', status: 'False' }] } },
    expect: { status: 'Running', reason: null, exitCode: null },
  },
  {
    name: 'being deleted → no change',
    job: job({ deleting: true, conditions: [['Complete']] }),
    expect: null,
  },
  {
    name: 'being deleted while running → no change',
    job: job({ deleting: true, active: 1 }),
    pods: [running()],
    expect: null,
  },
];

describe('mapJobStatus', () => {
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(mapJobStatus(c.job, c.pods), c.expect));
  }
});

describe('disruptionOf', () => {
  const withStatus = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status });
  const cases: { name: string; pod: V1Pod; expect: string | null }[] = [
    {
      name: 'evicted through the eviction API',
      pod: withStatus({
        phase: 'Running',
        conditions: [
          { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'evicting' },
        ],
      }),
      expect: 'EvictionByEvictionAPI: evicting',
    },
    {
      name: 'node-pressure eviction',
      pod: withStatus({ phase: 'Failed', reason: 'Evicted' }),
      expect: 'Evicted',
    },
    {
      name: 'a DisruptionTarget that is False',
      pod: withStatus({ phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'False' }] }),
      expect: null,
    },
    { name: 'a workload failure', pod: withStatus({ phase: 'Failed', reason: 'Error' }), expect: null },
  ];
  for (const c of cases) it(c.name, () => assert.equal(disruptionOf(c.pod), c.expect));
});
