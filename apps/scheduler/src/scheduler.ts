import { type Span, trace } from '@opentelemetry/api';
import type { Subjects } from '@po/contracts';
import { admitQueued, type Database, expireQueued, type Pipeline } from '@po/db';
import type { PipelineMetrics } from '@po/runtime';
import {
  contextOf,
  type Logger,
  type Metrics,
  markPipelineOutcome,
  pipelineAttributes,
  traceIdOf,
} from '@po/telemetry';
import type { Kysely } from 'kysely';

const tracer = trace.getTracer('@po/scheduler');

/**
 * A step the scheduler took for many pipelines at once (one admission statement, one sweep), recorded
 * in each pipeline's own trace — the statement's spans belong to whichever trace triggered the pass.
 */
function stepSpan(name: string, p: Pipeline): Span {
  return tracer.startSpan(
    name,
    {
      attributes: {
        ...pipelineAttributes({
          pipelineId: p.id,
          attempt: p.attempt,
          tenant: p.tenant_id,
          template: p.template,
        }),
        'po.priority': p.priority,
      },
    },
    contextOf(p.traceparent),
  );
}

const logFields = (p: Pipeline) => ({
  pipeline_id: p.id,
  tenant: p.tenant_id,
  attempt: p.attempt,
  trace_id: traceIdOf(p.traceparent),
});

export interface SchedulerOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  logger: Logger;
  metrics: Metrics;
  /** Queue waits of admitted attempts; queue timeouts as finished pipelines. */
  pipelineMetrics?: PipelineMetrics;
  maxRunning: number;
  /** Per-tenant concurrency quota for tenants without their own (tenant_quotas). */
  tenantMaxRunning: number;
  /** Per-tenant CPU (millicores) / memory (bytes) quotas for tenants without their own; undefined: none. */
  tenantMaxCpuMillis?: number | undefined;
  tenantMaxMemoryBytes?: number | undefined;
  /** Global CPU / memory quotas; undefined: none. */
  maxCpuMillis?: number | undefined;
  maxMemoryBytes?: number | undefined;
  /** Aging: one priority level per this many seconds of waiting; 0: none. */
  agingSeconds?: number;
  /** Queued pipelines not admitted within this many seconds end Timeout; 0 disables. */
  queueTimeoutSeconds: number;
  batch: number;
  pollMs: number;
}

/**
 * Admits queued pipelines, highest (aged) priority then oldest first, while the global quotas and the
 * pipeline's tenant quotas (running count, CPU, memory) have room, and records per tenant why its next
 * pipeline waits. Admission is a database transaction (SKIP LOCKED), so several
 * schedulers can run; a wake-up message or the poll timer only decides *when* to look. On each poll
 * it also ends the pipelines that waited longer than the queue timeout.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #admitted;
  readonly #expired;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Passes asked for by anything but a freed slot (a queued pipeline, the poll): each may find new work. */
  #asked = 0;
  /** The last pass found the queue empty, and no pass has been asked for since it began. */
  #queueEmpty = false;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
    this.#admitted = opts.metrics.counter('scheduler_admitted_total', 'Pipeline attempts admitted', [
      'priority',
    ]);
    this.#expired = opts.metrics.counter(
      'scheduler_queue_timeouts_total',
      'Pipelines ended Timeout because they were not admitted within the queue timeout',
    );
  }

  start(): void {
    this.#timer = setInterval(() => void this.#tick(), this.#opts.pollMs);
    void this.admitNow().catch(() => {});
  }

  async #tick(): Promise<void> {
    await this.expireNow().catch((err: unknown) =>
      this.#opts.logger.error({ err }, 'queue timeout sweep failed'),
    );
    await this.admitNow().catch(() => {});
  }

  /** Ends Timeout the pipelines that waited in the queue longer than the queue timeout. */
  async expireNow(): Promise<void> {
    const { queueTimeoutSeconds, db, subjects, logger } = this.#opts;
    if (queueTimeoutSeconds === 0 || this.#stopped) return;
    const ended = await expireQueued(db, subjects, { maxWaitSeconds: queueTimeoutSeconds, limit: 500 });
    for (const p of ended) {
      this.#expired.inc();
      this.#opts.pipelineMetrics?.transitioned({ ok: true, pipeline: p });
      const span = stepSpan('queue timeout', p);
      markPipelineOutcome(span, 'Timeout', p.reason);
      span.end();
      logger.info(
        { ...logFields(p), from: 'Queued', to: 'Timeout', reason: p.reason },
        'pipeline transition',
      );
    }
  }

  /**
   * A slot was freed (an attempt ended): a pass, unless the last one found the queue empty and
   * nothing was queued since — every way into the queue asks for a pass itself (its PipelineQueued
   * message, and the poll as the safety net), so a freed slot with nobody waiting needs no look.
   */
  slotFreed(): Promise<void> {
    if (this.#queueEmpty && !this.#running) return Promise.resolve();
    return this.#pass();
  }

  /** Runs one admission pass; concurrent callers coalesce into at most one extra pass. */
  admitNow(): Promise<void> {
    this.#asked++;
    this.#queueEmpty = false;
    return this.#pass();
  }

  #pass(): Promise<void> {
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
        const asked = this.#asked;
        try {
          admitted = await admitQueued(this.#opts.db, this.#opts.subjects, {
            limit: this.#opts.batch,
            maxRunning: this.#opts.maxRunning,
            tenantMaxRunning: this.#opts.tenantMaxRunning,
            tenantMaxCpuMillis: this.#opts.tenantMaxCpuMillis,
            tenantMaxMemoryBytes: this.#opts.tenantMaxMemoryBytes,
            maxCpuMillis: this.#opts.maxCpuMillis,
            maxMemoryBytes: this.#opts.maxMemoryBytes,
            agingSeconds: this.#opts.agingSeconds,
            onWaitingTenants: (n) => {
              // A pass asked for while this one ran may have new work this one did not see.
              this.#queueEmpty = n === 0 && asked === this.#asked;
            },
          });
        } catch (err) {
          this.#opts.logger.error({ err }, 'admission failed; will retry');
          throw err;
        }
        for (const p of admitted) {
          this.#admitted.inc({ priority: p.priority });
          const waited =
            (new Date(p.admitted_at ?? Date.now()).getTime() - new Date(p.queued_at).getTime()) / 1000;
          this.#opts.pipelineMetrics?.admitted(p.priority, waited);
          stepSpan('admit pipeline', p).end();
          this.#opts.logger.info({ ...logFields(p), priority: p.priority }, 'admitted');
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
