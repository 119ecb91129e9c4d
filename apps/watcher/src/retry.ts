import type { PipelineStatus } from '@po/contracts';
import type { JobOutcome } from '@po/kube';

export interface Decision {
  to: PipelineStatus;
  reason: string | null;
  exitCode: number | null;
}

/**
 * What an attempt's outcome means for the pipeline. Only failures the platform caused (the Job
 * vanished, the pod was evicted or disrupted) are worth another attempt; a workload that failed on
 * its own (an exit code, a deadline, a command that cannot start) would fail the same way again.
 */
export function decide(outcome: JobOutcome, pipeline: { attempt: number; max_attempts: number }): Decision {
  if (outcome.status === 'Failed' && outcome.retryable && pipeline.attempt < pipeline.max_attempts) {
    return {
      to: 'Queued',
      reason: `Retrying: attempt ${pipeline.attempt} of ${pipeline.max_attempts} ended: ${outcome.reason ?? 'failed'}`,
      exitCode: outcome.exitCode,
    };
  }
  return { to: outcome.status, reason: outcome.reason, exitCode: outcome.exitCode };
}

/** A Job that disappeared while its attempt was running: the platform lost it. */
export const JOB_VANISHED: JobOutcome = {
  status: 'Failed',
  reason: 'JobDeleted: the Job disappeared before it finished',
  exitCode: null,
  retryable: true,
};
