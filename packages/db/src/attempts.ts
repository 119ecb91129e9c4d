import type { Subjects } from '@po/contracts';
import type { ExpressionBuilder, UpdateObject } from 'kysely';
import { jobDelete } from './envelopes.ts';
import { enqueue, traceHeadersFor } from './outbox.ts';
import type { Database, PipelineAttempt, PipelineEventKind } from './schema.ts';
import { now } from './sql.ts';
import { inTransaction, type Tx } from './tx.ts';

type MilestoneColumn = 'job_created_at' | 'job_deleted_at' | 'logs_captured_at';

/**
 * Sets a milestone once and records its event, in one statement (the event row is inserted only if
 * the update set the milestone); true only for the call that set it (consumers are at-least-once).
 */
export async function markOnce(
  db: Tx,
  pipelineId: string,
  attempt: number,
  column: MilestoneColumn,
  event: { kind: PipelineEventKind; reason?: string | null },
  /** More of the attempt's columns set by the same update (e.g. the log capture's byte count). */
  also: (
    eb: ExpressionBuilder<Database, 'pipeline_attempts'>,
  ) => UpdateObject<Database, 'pipeline_attempts'> = () => ({}),
): Promise<boolean> {
  const recorded = await db
    .with('marked', (qb) =>
      qb
        .updateTable('pipeline_attempts')
        .set((eb) => ({ [column]: now, ...also(eb) }))
        .where('pipeline_id', '=', pipelineId)
        .where('attempt', '=', attempt)
        .where(column, 'is', null)
        .returning(['pipeline_id', 'attempt']),
    )
    .insertInto('pipeline_events')
    .columns(['pipeline_id', 'attempt', 'kind', 'from_status', 'to_status', 'reason'])
    .expression((eb) =>
      eb
        .selectFrom('marked')
        .select((s) => [
          'marked.pipeline_id',
          'marked.attempt',
          s.val(event.kind).as('kind'),
          s.val(null).as('from_status'),
          s.val(null).as('to_status'),
          s.val(event.reason ?? null).as('reason'),
        ]),
    )
    .executeTakeFirst();
  return (recorded.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/** One attempt's row (what the job-runner checks a command against). */
export function getAttempt(
  db: Tx,
  pipelineId: string,
  attempt: number,
): Promise<PipelineAttempt | undefined> {
  return db
    .selectFrom('pipeline_attempts')
    .selectAll()
    .where('pipeline_id', '=', pipelineId)
    .where('attempt', '=', attempt)
    .executeTakeFirst();
}

/** Record that the attempt's Job exists (and its uid, when this job-runner created it); true the first time. */
export function markJobCreated(
  db: Tx,
  pipelineId: string,
  attempt: number,
  jobUid?: string | undefined,
): Promise<boolean> {
  return markOnce(db, pipelineId, attempt, 'job_created_at', { kind: 'job_created' }, () =>
    jobUid ? { job_uid: jobUid } : {},
  );
}

/** Record that the attempt's Job is gone; true the first time. */
export function markJobDeleted(db: Tx, pipelineId: string, attempt: number): Promise<boolean> {
  return markOnce(db, pipelineId, attempt, 'job_deleted_at', { kind: 'job_deleted' });
}

export interface LogsCaptured {
  pipelineId: string;
  attempt: number;
  jobName: string;
  namespace: string;
  /** Why deletion may go ahead now: logs stored, or the bounded wait for them ran out. */
  reason: string;
}

/**
 * Invariant 5 (logs before deletion): the JobDelete command is only ever enqueued here, in the same
 * transaction that records the logs as captured. Re-running it is harmless (same message id).
 */
export function markLogsCaptured(db: Tx, subjects: Subjects, req: LogsCaptured): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const first = await markOnce(trx, req.pipelineId, req.attempt, 'logs_captured_at', {
      kind: 'logs_captured',
      reason: req.reason,
    });
    const p = await trx
      .selectFrom('pipelines')
      .select('traceparent')
      .where('id', '=', req.pipelineId)
      .executeTakeFirst();
    await enqueue(
      trx,
      subjects.jobDelete,
      jobDelete(req.pipelineId, req.attempt, {
        jobName: req.jobName,
        namespace: req.namespace,
        reason: req.reason,
      }),
      traceHeadersFor(p?.traceparent ?? null),
    );
    return first;
  });
}
