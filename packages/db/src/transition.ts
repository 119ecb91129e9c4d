import type { PipelineStatus, Subjects } from '@po/contracts';
import { canTransition, isTerminal } from '@po/contracts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { finished, queued, statusChanged } from './envelopes.ts';
import { type OutboxMessage, outboxRows, traceHeadersFor } from './outbox.ts';
import type { Pipeline } from './schema.ts';
import { firstTime, now } from './sql.ts';
import { inTransaction, type Tx } from './tx.ts';

export interface TransitionRequest {
  pipelineId: string;
  to: PipelineStatus;
  reason?: string | null;
  /** Only transition if the pipeline is still at this attempt (a stale observer must not act). */
  attempt?: number;
  /**
   * Only transition if the pipeline is still in this status: the one the caller's decision was
   * made from. Without it a stale decision can take an allowed but unintended edge — a retry meant
   * for a Running attempt (Running -> Queued) would restart a pipeline cancelled meanwhile
   * (Cancelled -> Queued is a restart).
   */
  from?: PipelineStatus;
  exitCode?: number | null;
  /** Only transition a pipeline of this tenant. */
  tenantId?: string;
  /** Only transition if the current attempt is still waiting in the queue (not yet admitted). */
  unadmitted?: boolean;
  /**
   * The ending attempt's own outcome when it differs from the pipeline's: a retry moves the
   * pipeline to Queued ("Retrying: …") while the attempt that ended stays Failed with its own
   * reason. Default: the attempt takes the pipeline's new status and reason (Failed for a retry).
   */
  attemptOutcome?: { status: PipelineStatus; reason: string | null };
  /** A caller's request (cancel, restart): its audit row is written with the change, or neither is. */
  audit?: AuditEntry;
}

export type TransitionResult =
  | { ok: true; pipeline: Pipeline; from: PipelineStatus }
  | { ok: false; current: Pipeline | undefined };

/**
 * THE transition function (invariant 1): allowed-from check, conditional UPDATE, event row and the
 * derived outbox messages, all in one transaction, so no caller can change a status without them.
 *
 * The row is read FOR UPDATE first: the derived effects depend on the status we leave (from,
 * attempt, admitted_at), and PostgreSQL < 18 cannot return the old row from an UPDATE. The lock makes
 * the read and the conditional UPDATE see the same version; a writer that loses the race waits, then
 * sees the winner's status and writes nothing.
 */
export function transition(db: Tx, subjects: Subjects, req: TransitionRequest): Promise<TransitionResult> {
  return inTransaction(db, async (trx): Promise<TransitionResult> => {
    let select = trx.selectFrom('pipelines').selectAll().where('id', '=', req.pipelineId);
    if (req.tenantId !== undefined) select = select.where('tenant_id', '=', req.tenantId);
    // NO KEY UPDATE, not UPDATE: writers that insert rows referencing this pipeline (events, attempt
    // milestones) take KEY SHARE on it for the foreign key, and must not deadlock against a transition.
    const cur = await select.forNoKeyUpdate().executeTakeFirst();
    if (
      !cur ||
      !canTransition(cur.status, req.to) ||
      (req.attempt !== undefined && cur.attempt !== req.attempt) ||
      (req.from !== undefined && cur.status !== req.from) ||
      (req.unadmitted === true && cur.admitted_at !== null)
    ) {
      return { ok: false, current: cur };
    }

    const { to } = req;
    const reason = req.reason ?? null;
    let update = trx
      .updateTable('pipelines')
      .set({ status: to, reason, updated_at: now })
      .where('id', '=', cur.id)
      .where('status', '=', cur.status);
    if (to === 'Queued') {
      // Every way into Queued (retry from Running, restart from a terminal status) starts a new attempt.
      update = update.set((eb) => ({
        attempt: eb('attempt', '+', 1),
        admitted_at: null,
        queued_at: now,
        finished_at: null,
      }));
    } else if (to === 'Running') {
      update = update.set({ started_at: firstTime('started_at') });
    } else if (isTerminal(to)) {
      update = update.set({ finished_at: now });
    }
    const pipeline = await update.returningAll().executeTakeFirst();
    if (!pipeline) return { ok: false, current: cur };

    const headers = traceHeadersFor(pipeline.traceparent);
    const messages: OutboxMessage[] = [];
    const jobMayExist = cur.status === 'Running' || (cur.status === 'Queued' && cur.admitted_at !== null);
    if (jobMayExist && (isTerminal(to) || to === 'Queued')) {
      const outcome = req.attemptOutcome ?? { status: to === 'Queued' ? 'Failed' : to, reason };
      await trx
        .updateTable('pipeline_attempts')
        .set({
          status: outcome.status,
          finished_at: now,
          reason: outcome.reason,
          ...(req.exitCode !== undefined ? { exit_code: req.exitCode } : {}),
        })
        .where('pipeline_id', '=', cur.id)
        .where('attempt', '=', cur.attempt)
        .execute();
      messages.push({
        subject: subjects.pipelineFinished,
        message: finished(pipeline, cur.attempt, to, reason),
        headers,
      });
    }
    if (to === 'Running') {
      await trx
        .updateTable('pipeline_attempts')
        .set({ started_at: firstTime('started_at'), status: 'Running' })
        .where('pipeline_id', '=', cur.id)
        .where('attempt', '=', pipeline.attempt)
        .execute();
    }
    messages.push({
      subject: subjects.pipelineStatus(cur.tenant_id, cur.id),
      message: statusChanged(pipeline, cur.status, reason),
      headers,
    });
    if (to === 'Queued')
      messages.push({ subject: subjects.pipelineQueued, message: queued(pipeline), headers });
    // The event row and the messages in one statement (one round trip).
    await trx
      .with('event', (q) =>
        q
          .insertInto('pipeline_events')
          .values({
            pipeline_id: cur.id,
            attempt: pipeline.attempt,
            kind: 'transition',
            from_status: cur.status,
            to_status: to,
            reason,
          })
          .returning('id'),
      )
      .insertInto('outbox')
      .values(outboxRows(messages))
      .onConflict((oc) => oc.column('msg_id').doNothing())
      .execute();
    if (req.audit) await recordAudit(trx, req.audit);
    return { ok: true, pipeline, from: cur.status };
  });
}
