import type { V1Pod } from '@kubernetes/client-node';
import { RetryLater } from '@po/bus';
import type { PipelineFinished, PipelineStatus, Subjects } from '@po/contracts';
import { type Database, getAttempt, storeCapture } from '@po/db';
import { classifyKubeError, isNotFound, type LogLine } from '@po/kube';
import type { Logger, Metrics } from '@po/telemetry';
import type { Kysely } from 'kysely';

export interface CaptureBudget {
  /** From the attempt's end: how long reading its logs may take before the Job is deleted without them. */
  budgetMs: number;
  /** The same for a cancelled attempt, whose workload is still running and must stop within seconds. */
  cancelBudgetMs: number;
  /** Deliveries at most, whatever the time left. */
  maxTries: number;
  /** At most this long for this process's live tail of an ended pod to store its last lines. */
  settleMs: number;
}

export interface LogCollectorOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  logger: Logger;
  metrics: Metrics;
  /** Bytes of log lines a capture stored (po_log_bytes_stored_total). */
  storedBytes?: (bytes: number) => void;
  capBytes: number;
  budget: CaptureBudget;
  listPods(namespace: string, jobName: string): Promise<V1Pod[]>;
  /** The Job's pods from the pod informer's cache when it surely holds them all (podsFromCache); else undefined. */
  cachedPods?(jobName: string, status: PipelineStatus): V1Pod[] | undefined;
  readLog(namespace: string, pod: string): Promise<LogLine[]>;
  /**
   * Waits for the live tails of the attempt's pods, except those named in `readable` (LiveTail.settle):
   * the pods whose whole log the capture reads itself.
   */
  /**
   * True when this process has stored the pod's whole final log already (LiveTail.storedWhole,
   * waiting at most `timeoutMs` for a read in flight): the capture does not read it again.
   */
  storedWhole?(pod: string, timeoutMs: number): Promise<boolean>;
  settleTails(
    pipelineId: string,
    attempt: number,
    readable: ReadonlySet<string>,
    timeoutMs: number,
  ): Promise<void>;
  now?: () => number;
}

interface ReadResult {
  pods: { podName: string; lines: LogLine[] }[];
  failures: { pod: string; reason: string; delayMs: number }[];
}

/**
 * Stores an ended attempt's pod logs, then (in the same transaction) asks for its Job to be
 * deleted — invariant 5. The capture is claimed once per attempt (two replicas or a redelivery
 * store nothing twice), and it has a budget counted from the attempt's end: every failed read is
 * logged with its reason and retried while the budget lasts; then what could be read is stored,
 * the capture is recorded as incomplete with the reasons, and the Job is deleted anyway. A
 * cancelled attempt gets a budget of seconds, so its workload stops whether or not its logs can
 * be read (its live tail has stored what it printed so far).
 */
export class LogCollector {
  readonly #o: LogCollectorOptions;
  readonly #captured;
  readonly #failedReads;

  constructor(opts: LogCollectorOptions) {
    this.#o = opts;
    this.#captured = opts.metrics.counter('log_captures_total', 'Attempt log captures by outcome', [
      'outcome',
    ]);
    this.#failedReads = opts.metrics.counter('log_read_failures_total', 'Failed pod log reads', []);
  }

  async capture(msg: PipelineFinished, deliveryCount: number): Promise<void> {
    const { db, subjects, logger, budget } = this.#o;
    const now = this.#o.now ?? Date.now;
    const { jobName, namespace } = msg.data;
    const log = logger.child({
      pipeline_id: msg.pipelineId,
      tenant: msg.data.tenantId,
      attempt: msg.attempt,
      job: jobName,
    });
    const base = { pipelineId: msg.pipelineId, attempt: msg.attempt, jobName, namespace };
    if (deliveryCount > 1) {
      // A redelivery (the first capture may have committed and lost its ack): nothing is read for an
      // attempt already captured, or never admitted — its cleanup is just asked for again.
      const a = await getAttempt(db, msg.pipelineId, msg.attempt);
      if (!a || a.logs_captured_at) {
        await storeCapture(db, subjects, {
          ...base,
          pods: [],
          capBytes: this.#o.capBytes,
          reason: () => 'logs already stored',
        });
        return;
      }
    }
    const endedAt = Date.parse(msg.occurredAt);
    const deadline = endedAt + (msg.data.status === 'Cancelled' ? budget.cancelBudgetMs : budget.budgetMs);
    const read = await this.#read(msg, Math.min(budget.settleMs, deadline - now()));
    for (const f of read.failures) {
      this.#failedReads.inc();
      log.warn({ pod: f.pod, reason: f.reason, try: deliveryCount }, 'reading logs failed');
    }
    const left = deadline - now();
    if (read.failures.length > 0 && left > 0 && deliveryCount < budget.maxTries) {
      this.#captured.inc({ outcome: 'retry' });
      const delay = Math.max(...read.failures.map((f) => f.delayMs), 250 * 2 ** (deliveryCount - 1));
      throw new RetryLater(
        `reading logs: ${read.failures.map((f) => f.reason).join('; ')}`,
        Math.max(50, Math.min(delay, left)),
      );
    }

    const incomplete =
      read.failures.length > 0
        ? `logs incomplete: ${read.failures.map((f) => `${f.pod}: ${f.reason}`).join('; ')} (gave up after ${deliveryCount} ${deliveryCount === 1 ? 'try' : 'tries'}, ${((now() - endedAt) / 1000).toFixed(1)} s after the attempt ended)`
        : null;
    const r = await storeCapture(db, subjects, {
      ...base,
      pods: read.pods,
      capBytes: this.#o.capBytes,
      reason: (truncated) => incomplete ?? (truncated ? 'logs stored (truncated)' : 'logs stored'),
    });
    if (r.bytes > 0) this.#o.storedBytes?.(r.bytes);
    if (r.skipped === 'no attempt') return;
    if (!r.stored) {
      log.info('logs already captured by another collector');
      this.#captured.inc({ outcome: 'duplicate' });
      return;
    }
    if (incomplete) {
      log.warn({ reason: incomplete }, 'logs incomplete; deleting the Job anyway');
      this.#captured.inc({ outcome: 'incomplete' });
      return;
    }
    this.#captured.inc({ outcome: r.truncated ? 'truncated' : 'stored' });
    log.info(
      { pods: read.pods.length, lines: read.pods.reduce((n, l) => n + l.lines.length, 0) },
      'logs stored',
    );
  }

  /**
   * Each listed pod's whole log, read here unless this process stored it whole after the pod ended
   * (LiveTail's read at the end); a pod already gone (not listed, or gone by the time its
   * log is read) has left what its live tail stored, so only those tails are waited for — a tail of a
   * pod that is still there would only store again what this read stores.
   */
  async #read(msg: PipelineFinished, settleMs: number): Promise<ReadResult> {
    const { namespace, jobName } = msg.data;
    const out: ReadResult = { pods: [], failures: [] };
    let pods: V1Pod[];
    try {
      pods = this.#o.cachedPods?.(jobName, msg.data.status) ?? (await this.#o.listPods(namespace, jobName));
    } catch (err) {
      const c = classifyKubeError(err);
      out.failures.push({ pod: `pods of ${jobName}`, reason: c.reason, delayMs: delayOf(c) });
      return out;
    }
    pods.sort((a, b) =>
      String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
    );
    const now = this.#o.now ?? Date.now;
    const until = now() + settleMs;
    const readable = new Set(pods.map((p) => p.metadata?.name ?? ''));
    await this.#o.settleTails(msg.pipelineId, msg.attempt, readable, settleMs);
    for (const pod of pods) {
      const name = pod.metadata?.name;
      if (!name || !hasStarted(pod)) continue;
      if (await this.#o.storedWhole?.(name, until - now())) continue;
      try {
        out.pods.push({ podName: name, lines: await this.#o.readLog(namespace, name) });
      } catch (err) {
        if (isNotFound(err)) {
          // Gone since it was listed: what its live tail read is all there is.
          readable.delete(name);
          continue;
        }
        const c = classifyKubeError(err);
        out.failures.push({ pod: name, reason: c.reason, delayMs: delayOf(c) });
      }
    }
    if (readable.size < pods.length)
      await this.#o.settleTails(msg.pipelineId, msg.attempt, readable, until - now());
    return out;
  }
}

function delayOf(c: ReturnType<typeof classifyKubeError>): number {
  return c.kind === 'retry' ? c.delayMs : 1000;
}

/** A pod whose container never started has no log to read (the API answers 400). */
function hasStarted(pod: V1Pod): boolean {
  const s = pod.status?.containerStatuses?.[0]?.state;
  return Boolean(s?.running || s?.terminated);
}
