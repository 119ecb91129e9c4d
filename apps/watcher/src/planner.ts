/**
 * The watcher's one decision, as data: from what Postgres says about a pipeline attempt and what
 * Kubernetes says about its Job, the transitions to make and the commands to issue. Pure: the
 * caller reads, calls plan(), and carries the plan out; a table test covers every combination.
 *
 * Every non-terminal state has a way out here (invariant 11); the test that proves each one is
 * named in docs/WATCHER.md.
 */
import type { PipelineStatus, RenderedJob } from '@po/contracts';
import { isTerminal, LABEL_MANAGED_BY, MANAGED_BY } from '@po/contracts';
import { disruptionOf, type JobOutcome, mapJobStatus, type V1Job, type V1Pod } from '@po/kube';

/** What is known about the Job: seen (in the informer's cache or read from the API server), or not. */
export type JobView =
  | { kind: 'present'; job: V1Job }
  /** Not in the synced cache: not enough to act on (the watch may lag); ask the API server. */
  | { kind: 'absent-in-cache' }
  /** An authoritative read from the API server returned 404. */
  | { kind: 'confirmed-absent' };

export interface PipelineView {
  status: PipelineStatus;
  attempt: number;
  max_attempts: number;
  admitted_at: Date | null;
  job: Pick<RenderedJob, 'retryableExitCodes'>;
}

export interface AttemptView {
  admitted_at: Date;
  job_created_at: Date | null;
  job_deleted_at: Date | null;
  job_create_requests: number;
  job_create_requested_at: Date | null;
}

export interface PlanPolicy {
  /** How long an admitted attempt may wait for its Job before the watcher looks for it. */
  jobAppearTimeoutMs: number;
  /** How many times a Job that never appeared is asked for again before the pipeline fails. */
  maxCreateRequests: number;
  /**
   * How old a managed Job that names no pipeline attempt (the managed-by label alone) must be before
   * it is deleted: a grace for whoever made it by hand, and never a decision from a Job just seen.
   */
  orphanGraceMs: number;
}

export interface PlanInput {
  /** The attempt the Job (or its name) belongs to. */
  attempt: number;
  pipeline: PipelineView | undefined;
  /** The row of that attempt, when it exists. */
  attemptRow: AttemptView | undefined;
  job: JobView;
  /** The Job's pods, from the synced cache. */
  pods: V1Pod[];
  /** Pods deleted since the last pass, in their final state: only their disruption is recorded. */
  gonePods?: V1Pod[];
  now: Date;
  policy: PlanPolicy;
}

export interface Step {
  to: PipelineStatus;
  reason: string | null;
  exitCode: number | null;
  /** The ending attempt's own outcome, when it differs from the pipeline's (a retry). */
  attemptOutcome?: { status: PipelineStatus; reason: string | null };
}

export type Command =
  /** Read the Job from the API server and plan again with what it says. */
  | { type: 'confirm-absence' }
  /** Ask the job-runner again for the Job (same deterministic name: idempotent). */
  | { type: 'request-create'; request: number; reason: string }
  /**
   * A managed Job nobody wants: delete it (keyed by its uid, so once per object). `jobName` when the
   * Job names no pipeline attempt (deleted by name).
   */
  | { type: 'delete-orphan'; uid: string; namespace: string | undefined; jobName?: string }
  /** Record in the pipeline's history that the cluster disrupted one of its pods. */
  | { type: 'record-disruption'; reason: string };

export interface Plan {
  /** Applied in order; each is conditional on the previous having been applied. */
  steps: Step[];
  commands: Command[];
  /** The status the Job shows once the steps are applied: later passes that see the same need no read. */
  settled?: PipelineStatus;
  /** Why, for the log. */
  why: string;
}

/** A Job that disappeared before it finished: the platform lost it, so it is worth another attempt. */
export const JOB_VANISHED: JobOutcome = {
  status: 'Failed',
  reason: 'JobDeleted: the Job disappeared before it finished',
  exitCode: null,
  retryable: true,
};

/**
 * What an attempt's outcome means for the pipeline. A failure the platform caused (the Job lost, a
 * pod disrupted) or an exit code the template lists as retryable is worth another attempt, up to
 * max_attempts; a workload that failed on its own (another exit code, a deadline, a command that
 * cannot start) would fail the same way again.
 */
export function decide(outcome: JobOutcome, pipeline: PipelineView): Step {
  const retryableCode =
    outcome.exitCode !== null && (pipeline.job.retryableExitCodes ?? []).includes(outcome.exitCode);
  const retryable = outcome.status === 'Failed' && (outcome.retryable === true || retryableCode);
  if (retryable && pipeline.attempt < pipeline.max_attempts) {
    return {
      to: 'Queued',
      reason: `Retrying: attempt ${pipeline.attempt} of ${pipeline.max_attempts} ended: ${outcome.reason ?? 'failed'}`,
      exitCode: outcome.exitCode,
      attemptOutcome: { status: outcome.status, reason: outcome.reason },
    };
  }
  return { to: outcome.status, reason: outcome.reason, exitCode: outcome.exitCode };
}

const nothing = (why: string, settled?: PipelineStatus): Plan => ({
  steps: [],
  commands: [],
  why,
  ...(settled ? { settled } : {}),
});

function disruptions(pods: V1Pod[]): Command[] {
  const out: Command[] = [];
  for (const pod of pods) {
    const d = disruptionOf(pod);
    if (d)
      out.push({ type: 'record-disruption', reason: `pod ${pod.metadata?.name ?? '?'} disrupted: ${d}` });
  }
  return out;
}

/** The Job exists and belongs to the pipeline's current, unfinished attempt. */
function planPresent(pipeline: PipelineView, job: V1Job, pods: V1Pod[], gone: V1Pod[]): Plan {
  const seen = mapJobStatus(job, pods);
  if (!seen) return nothing('Job is being deleted');
  const commands = disruptions([...pods, ...gone]);
  if (seen.status === 'Queued' || seen.status === pipeline.status) {
    // A Running pipeline whose Job shows no running pod (a disrupted pod being replaced) stays Running.
    const settled = seen.status === pipeline.status || pipeline.status === 'Queued' ? seen.status : undefined;
    return { steps: [], commands, why: `Job shows ${seen.status}`, ...(settled ? { settled } : {}) };
  }
  const steps: Step[] = [];
  let current = pipeline;
  if (current.status === 'Queued' && seen.status !== 'Running' && seen.status !== 'Cancelled') {
    // Finished before it was seen running: it did run, so record both steps.
    steps.push({ to: 'Running', reason: null, exitCode: null });
    current = { ...current, status: 'Running' };
  }
  const step = decide(seen, current);
  steps.push(step);
  return {
    steps,
    commands,
    why: `Job shows ${seen.status}`,
    ...(step.to === seen.status ? { settled: seen.status } : {}),
  };
}

/** Why an admitted attempt's Job has not been seen, and when that is worth a look. */
function overdue(attempt: AttemptView, now: Date, policy: PlanPolicy): boolean {
  const since = attempt.job_create_requested_at ?? attempt.admitted_at;
  return now.getTime() - since.getTime() >= policy.jobAppearTimeoutMs;
}

/** The Job of the pipeline's current, unfinished attempt is not there (in the cache, or for sure). */
function planAbsent(input: PlanInput, pipeline: PipelineView, confirmed: boolean): Plan {
  const { attemptRow, now, policy } = input;
  if (pipeline.status === 'Queued' && (pipeline.admitted_at === null || attemptRow === undefined)) {
    return nothing('waiting in the queue: no Job yet');
  }
  const created = pipeline.status === 'Running' || attemptRow?.job_created_at != null;
  if (!created && attemptRow && !overdue(attemptRow, now, policy)) {
    return nothing('admitted; the Job is being created');
  }
  if (!confirmed) return { steps: [], commands: [{ type: 'confirm-absence' }], why: 'not in the cache' };
  if (created) {
    // The Job existed and is gone before it finished (deleted, or lost with its node): a new attempt.
    return { steps: [decide(JOB_VANISHED, pipeline)], commands: [], why: 'Job gone before it finished' };
  }
  const made = attemptRow?.job_create_requests ?? 0;
  const waitedS = Math.round(policy.jobAppearTimeoutMs / 1000);
  if (made < policy.maxCreateRequests) {
    return {
      steps: [],
      commands: [
        {
          type: 'request-create',
          request: made + 1,
          reason: `JobNotSeen: no Job ${waitedS} s after it was asked for; asking again (${made + 1} of ${policy.maxCreateRequests})`,
        },
      ],
      why: 'admitted, Job never appeared',
    };
  }
  return {
    steps: [
      {
        to: 'Failed',
        reason: `JobNeverCreated: no Job appeared within ${waitedS} s of admission, nor after ${made} more request(s)`,
        exitCode: null,
      },
    ],
    commands: [],
    why: 'admitted, Job never appeared, requests used up',
  };
}

/** The one reconcile decision for a Job name (the pipeline's attempt it belongs to). */
export function plan(input: PlanInput): Plan {
  const { pipeline, job, attemptRow } = input;
  const current =
    pipeline !== undefined && pipeline.attempt === input.attempt && !isTerminal(pipeline.status);
  if (job.kind === 'present') {
    if (job.job.metadata?.deletionTimestamp) return nothing('Job is being deleted');
    if (current) return planPresent(pipeline, job.job, input.pods, input.gonePods ?? []);
    // Invariant 4: a managed Job nobody wants. Its pipeline's cleanup path deletes it after its logs
    // are stored; this catches Jobs without a pipeline, or that outlived their cleanup (e.g. created
    // again after it).
    const cleanedUp = attemptRow === undefined || attemptRow.job_deleted_at !== null;
    if (pipeline === undefined || cleanedUp) {
      return {
        steps: [],
        commands: [
          {
            type: 'delete-orphan',
            uid: job.job.metadata?.uid ?? '',
            namespace: job.job.metadata?.namespace,
          },
        ],
        why: pipeline === undefined ? 'orphan: no such pipeline' : 'orphan: its attempt was cleaned up',
      };
    }
    return nothing(
      "an ended attempt's Job: its cleanup deletes it",
      isTerminal(pipeline.status) ? pipeline.status : undefined,
    );
  }
  if (!current) return nothing('no unfinished attempt wants this Job');
  return planAbsent(input, pipeline, job.kind === 'confirmed-absent');
}

/**
 * A Job with our managed-by label whose labels and name name no pipeline attempt: no live attempt can
 * own it, so it is deleted once it is older than the grace period (until then, each resync looks again).
 */
export function planUnowned(job: V1Job, now: Date, policy: Pick<PlanPolicy, 'orphanGraceMs'>): Plan {
  const meta = job.metadata ?? {};
  if (meta.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) return nothing('not a managed Job');
  if (meta.deletionTimestamp) return nothing('Job is being deleted');
  const created = meta.creationTimestamp ? new Date(meta.creationTimestamp).getTime() : Number.NaN;
  const age = now.getTime() - created;
  if (!(age >= policy.orphanGraceMs)) return nothing('unowned managed Job: within its grace period');
  return {
    steps: [],
    commands: [
      { type: 'delete-orphan', uid: meta.uid ?? '', namespace: meta.namespace, jobName: meta.name ?? '' },
    ],
    why: 'orphan: a managed Job that names no pipeline attempt, past its grace period',
  };
}
