import type { Subjects } from '@po/contracts';
import { sql } from 'kysely';
import { markOnce } from './attempts.ts';
import { jobDelete } from './envelopes.ts';
import { planLogRows } from './log-plan.ts';
import { enqueue, traceHeadersFor } from './outbox.ts';
import { inTransaction, type Tx } from './tx.ts';

export { storableText, truncationMarker } from './log-plan.ts';

export interface AppendLogs {
  pipelineId: string;
  attempt: number;
  podName: string;
  lines: { ts: Date | null; line: string }[];
  /**
   * Index of `lines[0]` in the pod's log, for appenders that may overlap (a live follower and the
   * final capture): lines the pod already has stored are skipped, so each line is stored once.
   * Omitted: the lines are appended as they are.
   */
  offset?: number;
  /** Per pipeline, summed over its attempts. */
  capBytes: number;
}

export interface AppendLogsResult {
  /** Bytes of log lines stored by this call (the marker line not counted). */
  bytes: number;
  /** The pipeline's logs are (now or already) truncated. */
  truncated: boolean;
}

const CHUNK = 1000;

interface LockedAttempt {
  attempt: number;
  logs_bytes: number;
  logs_truncated: boolean;
  logs_captured_at: Date | null;
  traceparent: string | null;
}

/**
 * Locks every attempt row of the pipeline, in attempt order (appenders of one pipeline are
 * serialised, so the sum of bytes cannot be raced past the cap, and no two lockers deadlock), and
 * returns them (the newest version of each, once locked) with the pipeline's trace.
 */
async function lockAttempts(trx: Tx, pipelineId: string): Promise<LockedAttempt[]> {
  const { rows } = await sql<LockedAttempt>`
    select a.attempt, a.logs_bytes, a.logs_truncated, a.logs_captured_at, p.traceparent
    from pipeline_attempts a join pipelines p on p.id = a.pipeline_id
    where a.pipeline_id = ${pipelineId}
    order by a.attempt
    for update of a`.execute(trx);
  return rows;
}

/**
 * Lines stored per pod of an attempt. Its own statement, after the lock: a statement that waited for
 * the lock still reads with the snapshot it started with, which misses the lines the previous holder
 * inserted (they would be stored twice).
 */
async function storedLines(
  trx: Tx,
  pipelineId: string,
  attempt: number,
  pods: readonly string[],
): Promise<Map<string, number>> {
  if (pods.length === 0) return new Map();
  const rows = await trx
    .selectFrom('pipeline_logs')
    .select(['pod_name', (eb) => eb.fn.countAll<string>().as('n')])
    .where('pipeline_id', '=', pipelineId)
    .where('attempt', '=', attempt)
    .where('pod_name', 'in', pods)
    .groupBy('pod_name')
    .execute();
  return new Map(rows.map((r) => [r.pod_name, Number(r.n)]));
}

/**
 * Append lines until the pipeline's byte cap; the first append that hits the cap stores what fits and
 * one marker line, and every later append stores nothing.
 */
export function appendLogs(db: Tx, req: AppendLogs): Promise<AppendLogsResult> {
  return inTransaction(db, async (trx) => {
    const attempts = await lockAttempts(trx, req.pipelineId);
    const mine = attempts.find((a) => a.attempt === req.attempt);
    if (!mine) throw new Error(`pipeline ${req.pipelineId} has no attempt ${req.attempt}`);
    if (attempts.some((a) => a.logs_truncated)) return { bytes: 0, truncated: true };
    // Without an offset the lines are appended as they are.
    const stored =
      req.offset === undefined || req.lines.length === 0
        ? new Map<string, number>()
        : await storedLines(trx, req.pipelineId, req.attempt, [req.podName]);
    const { rows, bytes, truncated } = planLogRows({
      pipelineId: req.pipelineId,
      attempt: req.attempt,
      pods: [{ podName: req.podName, offset: req.offset ?? 0, lines: req.lines }],
      stored,
      room: req.capBytes - attempts.reduce((sum, a) => sum + a.logs_bytes, 0),
      capBytes: req.capBytes,
    });
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('pipeline_logs')
        .values(rows.slice(i, i + CHUNK))
        .execute();
    }
    if (bytes > 0 || truncated) {
      await trx
        .updateTable('pipeline_attempts')
        .set((eb) => ({ logs_bytes: eb('logs_bytes', '+', bytes), logs_truncated: truncated }))
        .where('pipeline_id', '=', req.pipelineId)
        .where('attempt', '=', req.attempt)
        .execute();
    }
    return { bytes, truncated };
  });
}

export interface StoreCapture {
  pipelineId: string;
  attempt: number;
  jobName: string;
  namespace: string;
  /** Each pod's whole log, read from its first line. */
  pods: { podName: string; lines: { ts: Date | null; line: string }[] }[];
  capBytes: number;
  /** The reason recorded with logs_captured, given whether the logs got truncated. */
  reason(truncated: boolean): string;
}

export interface StoreCaptureResult {
  /** This call stored the capture; false: it was already recorded (or the attempt does not exist). */
  stored: boolean;
  truncated: boolean;
  bytes: number;
  /** Why nothing was stored: `logs already stored` or `no attempt` (the Job's deletion is asked for anyway). */
  skipped?: string;
}

/**
 * The final capture of an attempt, once: the attempt row is claimed under lock, so of two
 * collectors handling the same attempt (replicas, a redelivery) one stores its lines and records
 * logs_captured (which enqueues the Job's deletion), and the other finds the claim taken and
 * stores nothing but asks for the deletion again (same message id: harmless). Lines a live
 * follower already stored are skipped (offsets). In one transaction of at most five statements
 * whatever the number of pods: lock the attempts (with the pipeline's trace), count the lines each
 * pod has stored, insert every pod's rows, record the capture and its event, enqueue the JobDelete.
 */
export function storeCapture(db: Tx, subjects: Subjects, req: StoreCapture): Promise<StoreCaptureResult> {
  return inTransaction(db, async (trx) => {
    // The same rows, in the same order, as appendLogs locks: no deadlock between the two.
    const attempts = await lockAttempts(trx, req.pipelineId);
    const mine = attempts.find((a) => a.attempt === req.attempt);
    const askDeletion = async (reason: string, traceparent: string | null) =>
      enqueue(
        trx,
        subjects.jobDelete,
        jobDelete(req.pipelineId, req.attempt, { jobName: req.jobName, namespace: req.namespace, reason }),
        traceHeadersFor(traceparent),
      );
    if (!mine || mine.logs_captured_at) {
      // Never admitted (nothing to store) or already captured: just make sure cleanup is asked for.
      const skipped = mine ? 'logs already stored' : 'no attempt';
      const traceparent = mine
        ? mine.traceparent
        : ((
            await trx
              .selectFrom('pipelines')
              .select('traceparent')
              .where('id', '=', req.pipelineId)
              .executeTakeFirst()
          )?.traceparent ?? null);
      await askDeletion(skipped, traceparent);
      return { stored: false, truncated: false, bytes: 0, skipped };
    }
    // Truncated before (an earlier attempt reached the cap): nothing more is stored.
    const already = attempts.some((a) => a.logs_truncated);
    const plan = already
      ? { rows: [], bytes: 0, truncated: true }
      : planLogRows({
          pipelineId: req.pipelineId,
          attempt: req.attempt,
          pods: req.pods.map((p) => ({ ...p, offset: 0 })),
          stored: await storedLines(
            trx,
            req.pipelineId,
            req.attempt,
            req.pods.filter((p) => p.lines.length > 0).map((p) => p.podName),
          ),
          room: req.capBytes - attempts.reduce((sum, a) => sum + a.logs_bytes, 0),
          capBytes: req.capBytes,
        });
    for (let i = 0; i < plan.rows.length; i += CHUNK) {
      await trx
        .insertInto('pipeline_logs')
        .values(plan.rows.slice(i, i + CHUNK))
        .execute();
    }
    const reason = req.reason(plan.truncated);
    // The capture, its byte count and its event in one statement (the event only if the row changed).
    await markOnce(
      trx,
      req.pipelineId,
      req.attempt,
      'logs_captured_at',
      { kind: 'logs_captured', reason },
      (eb) => ({
        logs_bytes: eb('logs_bytes', '+', plan.bytes),
        ...(plan.truncated && !already ? { logs_truncated: true } : {}),
      }),
    );
    await askDeletion(reason, mine.traceparent);
    return { stored: true, truncated: plan.truncated, bytes: plan.bytes };
  });
}
