import type { Subjects } from '@po/contracts';
import { markLogsCaptured } from './attempts.ts';
import { inTransaction, type Tx } from './tx.ts';

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

export const truncationMarker = (capBytes: number) =>
  `[log truncated: size cap of ${capBytes} bytes reached]`;

const CHUNK = 1000;

/**
 * A workload's output as Postgres text can hold it: a NUL (which text cannot store) and a lone
 * surrogate (which is not UTF-8) become U+FFFD, as an invalid byte does when the output is decoded.
 * One bad character never costs the batch it is in.
 */
export function storableText(s: string): string {
  const wf = s.isWellFormed() ? s : s.toWellFormed();
  return wf.includes('\0') ? wf.replaceAll('\0', '\uFFFD') : wf;
}

/**
 * Append lines until the pipeline's byte cap; the first append that hits the cap stores what fits and
 * one marker line, and every later append stores nothing.
 */
export function appendLogs(db: Tx, req: AppendLogs): Promise<AppendLogsResult> {
  return inTransaction(db, async (trx) => {
    // Locking every attempt row of the pipeline serialises appenders of the same pipeline, so the
    // sum below cannot be raced past the cap.
    const attempts = await trx
      .selectFrom('pipeline_attempts')
      .select(['attempt', 'logs_bytes', 'logs_truncated'])
      .where('pipeline_id', '=', req.pipelineId)
      .orderBy('attempt')
      .forUpdate()
      .execute();
    if (!attempts.some((a) => a.attempt === req.attempt)) {
      throw new Error(`pipeline ${req.pipelineId} has no attempt ${req.attempt}`);
    }
    if (attempts.some((a) => a.logs_truncated)) return { bytes: 0, truncated: true };
    let lines = req.lines;
    if (req.offset !== undefined) {
      const stored = await trx
        .selectFrom('pipeline_logs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('pipeline_id', '=', req.pipelineId)
        .where('attempt', '=', req.attempt)
        .where('pod_name', '=', req.podName)
        .executeTakeFirstOrThrow();
      const n = Number(stored.n);
      // A gap (lines before `offset` never stored) is left for a later append that starts earlier.
      lines = n < req.offset ? [] : lines.slice(n - req.offset);
    }

    let room = req.capBytes - attempts.reduce((sum, a) => sum + a.logs_bytes, 0);
    let bytes = 0;
    let truncated = false;
    const rows: { pipeline_id: string; attempt: number; pod_name: string; ts: Date | null; line: string }[] =
      [];
    for (const { ts, line: raw } of lines) {
      const line = storableText(raw);
      const size = Buffer.byteLength(line, 'utf8');
      if (size > room) {
        truncated = true;
        break;
      }
      room -= size;
      bytes += size;
      rows.push({ pipeline_id: req.pipelineId, attempt: req.attempt, pod_name: req.podName, ts, line });
    }
    if (truncated) {
      const last = rows.at(-1)?.ts ?? lines[rows.length]?.ts ?? null;
      rows.push({
        pipeline_id: req.pipelineId,
        attempt: req.attempt,
        pod_name: req.podName,
        ts: last,
        line: truncationMarker(req.capBytes),
      });
    }
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

/**
 * The final capture of an attempt, once: the attempt row is claimed under lock, so of two
 * collectors handling the same attempt (replicas, a redelivery) one stores its lines and records
 * logs_captured (which enqueues the Job's deletion), and the other finds the claim taken and
 * stores nothing. Lines a live follower already stored are skipped (offsets).
 */
export function storeCapture(
  db: Tx,
  subjects: Subjects,
  req: StoreCapture,
): Promise<{ stored: boolean; truncated: boolean; bytes: number }> {
  return inTransaction(db, async (trx) => {
    // The same rows, in the same order, as appendLogs locks: no deadlock between the two.
    const attempts = await trx
      .selectFrom('pipeline_attempts')
      .select(['attempt', 'logs_captured_at'])
      .where('pipeline_id', '=', req.pipelineId)
      .orderBy('attempt')
      .forUpdate()
      .execute();
    const mine = attempts.find((a) => a.attempt === req.attempt);
    if (!mine || mine.logs_captured_at) return { stored: false, truncated: false, bytes: 0 };
    let truncated = false;
    let bytes = 0;
    for (const { podName, lines } of req.pods) {
      const r = await appendLogs(trx, {
        pipelineId: req.pipelineId,
        attempt: req.attempt,
        podName,
        lines,
        offset: 0,
        capBytes: req.capBytes,
      });
      truncated ||= r.truncated;
      bytes += r.bytes;
    }
    await markLogsCaptured(trx, subjects, {
      pipelineId: req.pipelineId,
      attempt: req.attempt,
      jobName: req.jobName,
      namespace: req.namespace,
      reason: req.reason(truncated),
    });
    return { stored: true, truncated, bytes };
  });
}
