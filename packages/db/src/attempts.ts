import type { Subjects } from '@po/contracts';
import { jobDelete } from './envelopes.ts';
import { enqueue, traceHeadersFor } from './outbox.ts';
import type { PipelineEventKind } from './schema.ts';
import { now } from './sql.ts';
import { inTransaction, type Tx } from './tx.ts';

export interface EventInput {
  pipelineId: string;
  attempt: number;
  kind: PipelineEventKind;
  reason?: string | null;
}

export async function recordEvent(db: Tx, e: EventInput): Promise<void> {
  await db
    .insertInto('pipeline_events')
    .values({
      pipeline_id: e.pipelineId,
      attempt: e.attempt,
      kind: e.kind,
      from_status: null,
      to_status: null,
      reason: e.reason ?? null,
    })
    .execute();
}

type MilestoneColumn = 'job_created_at' | 'job_deleted_at' | 'logs_captured_at';

/** Sets a milestone once; true only for the call that set it (consumers are at-least-once). */
async function markOnce(
  trx: Tx,
  pipelineId: string,
  attempt: number,
  column: MilestoneColumn,
): Promise<boolean> {
  const updated = await trx
    .updateTable('pipeline_attempts')
    .set({ [column]: now })
    .where('pipeline_id', '=', pipelineId)
    .where('attempt', '=', attempt)
    .where(column, 'is', null)
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/** Record that the attempt's Job exists; true the first time. */
export function markJobCreated(db: Tx, pipelineId: string, attempt: number): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const first = await markOnce(trx, pipelineId, attempt, 'job_created_at');
    if (first) await recordEvent(trx, { pipelineId, attempt, kind: 'job_created' });
    return first;
  });
}

/** Record that the attempt's Job is gone; true the first time. */
export function markJobDeleted(db: Tx, pipelineId: string, attempt: number): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const first = await markOnce(trx, pipelineId, attempt, 'job_deleted_at');
    if (first) await recordEvent(trx, { pipelineId, attempt, kind: 'job_deleted' });
    return first;
  });
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
    const first = await markOnce(trx, req.pipelineId, req.attempt, 'logs_captured_at');
    if (first) {
      await recordEvent(trx, {
        pipelineId: req.pipelineId,
        attempt: req.attempt,
        kind: 'logs_captured',
        reason: req.reason,
      });
    }
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
