import type { V1Pod } from '@kubernetes/client-node';
import { RetryLater } from '@po/bus';
import type { PipelineFinished, Subjects } from '@po/contracts';
import { appendLogs, type Database, markLogsCaptured } from '@po/db';
import { classifyKubeError } from '@po/kube';
import type { Logger, Metrics } from '@po/telemetry';
import type { Kysely } from 'kysely';

export interface LogCollectorOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  logger: Logger;
  metrics: Metrics;
  capBytes: number;
  maxTries: number;
  listPods(namespace: string, jobName: string): Promise<V1Pod[]>;
  readLog(namespace: string, pod: string): Promise<{ ts: Date | null; line: string }[]>;
}

/**
 * Stores an ended attempt's pod logs, then (in the same transaction) asks for its Job to be
 * deleted — invariant 5. A redelivery after a crash either finds the capture committed (and only
 * re-asks for the delete, deduplicated) or finds nothing stored and starts over: no duplicate lines.
 */
export class LogCollector {
  readonly #o: LogCollectorOptions;
  readonly #captured;

  constructor(opts: LogCollectorOptions) {
    this.#o = opts;
    this.#captured = opts.metrics.counter('log_captures_total', 'Attempt log captures by outcome', [
      'outcome',
    ]);
  }

  async capture(msg: PipelineFinished, deliveryCount: number): Promise<void> {
    const { db, subjects, logger } = this.#o;
    const { jobName, namespace } = msg.data;
    const log = logger.child({ pipelineId: msg.pipelineId, attempt: msg.attempt, job: jobName });
    const done = await db
      .selectFrom('pipeline_attempts')
      .select('logs_captured_at')
      .where('pipeline_id', '=', msg.pipelineId)
      .where('attempt', '=', msg.attempt)
      .executeTakeFirst();
    const base = { pipelineId: msg.pipelineId, attempt: msg.attempt, jobName, namespace };
    if (!done || done.logs_captured_at) {
      // Never admitted (nothing to read) or already captured: just make sure cleanup is asked for.
      await markLogsCaptured(db, subjects, { ...base, reason: done ? 'logs already stored' : 'no attempt' });
      return;
    }

    let logs: { pod: string; lines: { ts: Date | null; line: string }[] }[];
    try {
      const pods = await this.#o.listPods(namespace, jobName);
      pods.sort((a, b) =>
        String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
      );
      logs = [];
      for (const pod of pods) {
        const name = pod.metadata?.name;
        if (!name || !hasStarted(pod)) continue;
        logs.push({ pod: name, lines: await this.#o.readLog(namespace, name) });
      }
    } catch (err) {
      const c = classifyKubeError(err);
      if (deliveryCount < this.#o.maxTries) {
        this.#captured.inc({ outcome: 'retry' });
        throw new RetryLater(
          `reading logs: ${c.reason}`,
          c.kind === 'retry' ? c.delayMs : 1000 * 2 ** deliveryCount,
        );
      }
      log.warn({ reason: c.reason }, 'giving up on logs; deleting the Job anyway');
      this.#captured.inc({ outcome: 'gave_up' });
      await markLogsCaptured(db, subjects, {
        ...base,
        reason: `logs unavailable after ${deliveryCount} tries: ${c.reason}`,
      });
      return;
    }

    const truncated = await db.transaction().execute(async (trx) => {
      let cut = false;
      for (const { pod, lines } of logs) {
        const r = await appendLogs(trx, {
          pipelineId: msg.pipelineId,
          attempt: msg.attempt,
          podName: pod,
          lines,
          // The whole log from its first line: whatever the live tail already stored is skipped.
          offset: 0,
          capBytes: this.#o.capBytes,
        });
        cut ||= r.truncated;
      }
      await markLogsCaptured(trx, subjects, {
        ...base,
        reason: cut ? 'logs stored (truncated)' : 'logs stored',
      });
      return cut;
    });
    this.#captured.inc({ outcome: truncated ? 'truncated' : 'stored' });
    log.info({ pods: logs.length, lines: logs.reduce((n, l) => n + l.lines.length, 0) }, 'logs stored');
  }
}

/** A pod whose container never started has no log to read (the API answers 400). */
function hasStarted(pod: V1Pod): boolean {
  const s = pod.status?.containerStatuses?.[0]?.state;
  return Boolean(s?.running || s?.terminated);
}
