/**
 * Whether a Job command is due, decided from the database alone (invariant 10: messages carry ids,
 * not orders). Pure, so a forged or replayed command's fate is a table test.
 */
import { isTerminal, LABEL_ATTEMPT, LABEL_MANAGED_BY, LABEL_PIPELINE_ID, MANAGED_BY } from '@po/contracts';
import type { Pipeline, PipelineAttempt } from '@po/db';

export type Decision = { due: true } | { due: false; why: string };

/** Create the attempt's Job only while it is the pipeline's current, admitted, unfinished attempt. */
export function createDue(
  pipeline: Pick<Pipeline, 'attempt' | 'status' | 'admitted_at'> | undefined,
  attempt: Pick<PipelineAttempt, 'finished_at'> | undefined,
  cmdAttempt: number,
): Decision {
  if (!pipeline) return { due: false, why: 'no such pipeline' };
  if (pipeline.attempt !== cmdAttempt)
    return { due: false, why: `attempt ${cmdAttempt} is not the current one` };
  if (isTerminal(pipeline.status)) return { due: false, why: `pipeline is ${pipeline.status}` };
  if (pipeline.admitted_at === null || !attempt) return { due: false, why: 'attempt not admitted' };
  if (attempt.finished_at !== null) return { due: false, why: 'attempt already ended' };
  return { due: true };
}

/**
 * Delete the attempt's Job once its logs are stored (invariant 5), or when nothing wants it: the
 * pipeline is gone, or the attempt was never admitted, or it is over and already cleaned up. Never
 * while it is the current attempt of an unfinished pipeline.
 */
export function deleteDue(
  pipeline: Pick<Pipeline, 'attempt' | 'status'> | undefined,
  attempt: Pick<PipelineAttempt, 'logs_captured_at' | 'job_deleted_at'> | undefined,
  cmdAttempt: number,
): Decision {
  if (!pipeline || !attempt) return { due: true };
  if (attempt.logs_captured_at !== null || attempt.job_deleted_at !== null) return { due: true };
  if (pipeline.attempt === cmdAttempt && !isTerminal(pipeline.status))
    return { due: false, why: 'the attempt is still running' };
  return { due: false, why: 'its logs are not stored yet' };
}

const PIPELINE_JOB_NAME = /^pipeline-[0-9a-f-]{36}-\d+$/;

/**
 * Delete a Job that names no pipeline attempt (a job.delete for NO_PIPELINE_ID): only when it is ours
 * (the managed-by label) and neither its labels nor its name name an attempt — such a Job no live
 * attempt can own. One that does name an attempt is decided by its pipeline's own path, never here.
 */
export function unownedDeleteDue(job: { name: string; labels: Record<string, string> }): Decision {
  if (job.labels[LABEL_MANAGED_BY] !== MANAGED_BY)
    return { due: false, why: 'not managed by pipeline-operator' };
  if (job.labels[LABEL_PIPELINE_ID] !== undefined || job.labels[LABEL_ATTEMPT] !== undefined)
    return { due: false, why: 'it names a pipeline attempt' };
  if (PIPELINE_JOB_NAME.test(job.name)) return { due: false, why: "its name is a pipeline attempt's" };
  return { due: true };
}
