import type { PipelineStatus, Subjects } from '@po/contracts';
import { canTransition, isTerminal } from '@po/contracts';
import { sql } from 'kysely';
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
    // The row is locked and still at cur.status, so the update applies: the messages are built from
    // what it writes, and every write of the transition is one statement (one round trip).
    const next = { ...cur, status: to, reason, attempt: to === 'Queued' ? cur.attempt + 1 : cur.attempt };
    const headers = traceHeadersFor(cur.traceparent);
    const messages: OutboxMessage[] = [];
    const writes = [sql`changed as (${update.returningAll()})`];
    const jobMayExist = cur.status === 'Running' || (cur.status === 'Queued' && cur.admitted_at !== null);
    if (jobMayExist && (isTerminal(to) || to === 'Queued')) {
      const outcome = req.attemptOutcome ?? { status: to === 'Queued' ? 'Failed' : to, reason };
      const ended = trx
        .updateTable('pipeline_attempts')
        .set({
          status: outcome.status,
          finished_at: now,
          reason: outcome.reason,
          ...(req.exitCode !== undefined ? { exit_code: req.exitCode } : {}),
        })
        .where('pipeline_id', '=', cur.id)
        .where('attempt', '=', cur.attempt);
      writes.push(sql`attempt_ended as (${ended})`);
      messages.push({
        subject: subjects.pipelineFinished,
        message: finished(next, cur.attempt, to, reason),
        headers,
      });
    }
    if (to === 'Running') {
      const started = trx
        .updateTable('pipeline_attempts')
        .set({ started_at: firstTime('started_at'), status: 'Running' })
        .where('pipeline_id', '=', cur.id)
        .where('attempt', '=', cur.attempt);
      writes.push(sql`attempt_started as (${started})`);
    }
    messages.push({
      subject: subjects.pipelineStatus(cur.tenant_id, cur.id),
      message: statusChanged(next, cur.status, reason),
      headers,
    });
    if (to === 'Queued') messages.push({ subject: subjects.pipelineQueued, message: queued(next), headers });
    const event = trx.insertInto('pipeline_events').values({
      pipeline_id: cur.id,
      attempt: next.attempt,
      kind: 'transition',
      from_status: cur.status,
      to_status: to,
      reason,
    });
    const outbox = trx
      .insertInto('outbox')
      .values(outboxRows(messages))
      .onConflict((oc) => oc.column('msg_id').doNothing());
    writes.push(sql`event as (${event})`, sql`messages as (${outbox})`);
    const { rows } = await sql<Pipeline>`with ${sql.join(writes)} select * from changed`.execute(trx);
    const pipeline = rows[0];
    // Cannot happen while the row is locked; were it to, nothing of the transition may commit.
    if (!pipeline) throw new Error(`transition of pipeline ${cur.id} found it changed under its lock`);
    if (req.audit) await recordAudit(trx, req.audit);
    return { ok: true, pipeline, from: cur.status };
  });
}
