import type { Subjects } from '@po/contracts';
import { admitQueued, type Database } from '@po/db';
import type { Logger, Metrics } from '@po/telemetry';
import type { Kysely } from 'kysely';

export interface SchedulerOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  logger: Logger;
  metrics: Metrics;
  maxRunning: number;
  batch: number;
  pollMs: number;
}

/**
 * Admits queued pipelines, highest priority then oldest first, while the concurrency quota has
 * room. Admission is a database transaction (SKIP LOCKED), so several schedulers can run; a
 * wake-up message or the poll timer only decides *when* to look.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #admitted;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
    this.#admitted = opts.metrics.counter('scheduler_admitted_total', 'Pipeline attempts admitted', [
      'priority',
    ]);
  }

  start(): void {
    this.#timer = setInterval(() => void this.admitNow().catch(() => {}), this.#opts.pollMs);
    void this.admitNow().catch(() => {});
  }

  /** Runs one admission pass; concurrent callers coalesce into at most one extra pass. */
  admitNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      for (;;) {
        let admitted: Awaited<ReturnType<typeof admitQueued>>;
        try {
          admitted = await admitQueued(this.#opts.db, this.#opts.subjects, {
            limit: this.#opts.batch,
            maxRunning: this.#opts.maxRunning,
          });
        } catch (err) {
          this.#opts.logger.error({ err }, 'admission failed; will retry');
          throw err;
        }
        for (const p of admitted) {
          this.#admitted.inc({ priority: p.priority });
          this.#opts.logger.info({ pipelineId: p.id, attempt: p.attempt, priority: p.priority }, 'admitted');
        }
        if (admitted.length < this.#opts.batch) break;
      }
    } while (this.#again && !this.#stopped);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }
}
