import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobOutcome } from '@po/kube';
import { decide, JOB_VANISHED } from './retry.ts';

const failed = (reason: string, extra: Partial<JobOutcome> = {}): JobOutcome => ({
  status: 'Failed',
  reason,
  exitCode: 1,
  ...extra,
});

const cases: { name: string; outcome: JobOutcome; attempt: number; max: number; to: string }[] = [
  {
    name: 'evicted pod, attempts left → retry',
    outcome: failed('pod Evicted', { retryable: true }),
    attempt: 1,
    max: 3,
    to: 'Queued',
  },
  {
    name: 'evicted pod, last attempt → Failed',
    outcome: failed('pod Evicted', { retryable: true }),
    attempt: 3,
    max: 3,
    to: 'Failed',
  },
  { name: 'Job vanished while running → retry', outcome: JOB_VANISHED, attempt: 1, max: 2, to: 'Queued' },
  {
    name: 'workload exit code → Failed, never retried',
    outcome: failed('exited with code 1'),
    attempt: 1,
    max: 3,
    to: 'Failed',
  },
  {
    name: 'StartError → Failed',
    outcome: failed('StartError: executable not found'),
    attempt: 1,
    max: 3,
    to: 'Failed',
  },
  {
    name: 'deadline → Timeout, never retried',
    outcome: { status: 'Timeout', reason: 'DeadlineExceeded', exitCode: null },
    attempt: 1,
    max: 3,
    to: 'Timeout',
  },
  {
    name: 'success → Succeeded',
    outcome: { status: 'Succeeded', reason: null, exitCode: 0 },
    attempt: 2,
    max: 3,
    to: 'Succeeded',
  },
  { name: 'single-attempt pipeline → Failed', outcome: JOB_VANISHED, attempt: 1, max: 1, to: 'Failed' },
];

for (const c of cases) {
  test(`retry decision: ${c.name}`, () => {
    const d = decide(c.outcome, { attempt: c.attempt, max_attempts: c.max });
    assert.equal(d.to, c.to);
    if (d.to === 'Queued')
      assert.match(d.reason ?? '', new RegExp(`^Retrying: attempt ${c.attempt} of ${c.max} ended`));
  });
}
