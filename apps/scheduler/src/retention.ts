import { type Database, RETENTION_KINDS, type RetentionKind, sweepBatch } from '@po/db';
import type { Logger, Metrics } from '@po/telemetry';
import type { Kysely } from 'kysely';

/** How long each kind is kept, in seconds; 0 keeps it forever. */
export type RetentionPolicy = Record<RetentionKind, number>;

export interface RetentionOptions {
  db: Kysely<Database>;
  logger: Logger;
  metrics: Metrics;
  policy: RetentionPolicy;
  /** Rows (for logs: pipelines whose logs) per statement. */
  batch: number;
  /** Batches per kind per pass, so one pass stays short; the next pass goes on. */
  maxBatchesPerPass: number;
  intervalMs: number;
}

/**
 * The retention sweep: every interval, each kind with a retention deletes what has expired, a small
 * batch per statement (`sweepBatch`: SKIP LOCKED, so the scheduler's replicas sweep side by side
 * without deleting or counting a row twice).
 */
export class RetentionSweeper {
  readonly #o: RetentionOptions;
  readonly #deleted;
  readonly #failures;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(o: RetentionOptions) {
    this.#o = o;
    this.#deleted = o.metrics.counter(
      'retention_deleted_total',
      'Rows deleted by the retention sweep (logs: log lines; pipelines: with their attempts, events and logs)',
      ['kind'],
    );
    this.#failures = o.metrics.counter('retention_sweep_failures_total', 'Retention batches that failed', [
      'kind',
    ]);
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => void this.sweepNow(), this.#o.intervalMs);
    this.#timer.unref();
    void this.sweepNow();
  }

  /** One pass over every kind; a pass already running is joined, not doubled. */
  sweepNow(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<void> {
    const { db, policy, batch, maxBatchesPerPass, logger } = this.#o;
    for (const kind of RETENTION_KINDS) {
      const maxAgeSeconds = policy[kind];
      if (maxAgeSeconds <= 0) continue;
      let total = 0;
      try {
        for (let i = 0; i < maxBatchesPerPass && !this.#stopped; i++) {
          const n = await sweepBatch(db, kind, { maxAgeSeconds, limit: batch });
          total += n;
          this.#deleted.inc({ kind }, n);
          if (n === 0) break;
        }
      } catch (err) {
        this.#failures.inc({ kind });
        logger.error({ err, kind }, 'retention sweep failed; next pass retries');
      }
      if (total > 0) logger.info({ kind, deleted: total }, 'retention sweep');
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }
}
