import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { propagation, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ANNOTATION_TRACEPARENT,
  isTerminal,
  jobNameFor,
  LABEL_ATTEMPT,
  LABEL_PIPELINE_ID,
  type Subjects,
} from '@po/contracts';
import { type Database, enqueue, type Pipeline, transition } from '@po/db';
import { mapJobStatus } from '@po/kube';
import type { Logger, Metrics } from '@po/telemetry';
import type { Kysely } from 'kysely';
import { KeyedQueue } from './keyed-queue.ts';
import { decide, JOB_VANISHED } from './retry.ts';

export interface WatcherOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  logger: Logger;
  metrics: Metrics;
  namespace: string;
}

interface Caches {
  jobs(): V1Job[];
  job(name: string): V1Job | undefined;
}

const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const tracer = trace.getTracer('@po/watcher');

/**
 * Turns what Kubernetes says about managed Jobs into pipeline transitions. Level-triggered: any
 * change to a Job or one of its pods re-reads the whole picture for that Job and acts on it, so
 * repeated, reordered or missed events all converge.
 */
export class Watcher {
  readonly #o: WatcherOptions;
  readonly #queue: KeyedQueue;
  readonly #transitions;
  #caches: Caches = { jobs: () => [], job: () => undefined };
  /** Pods by their Job's name, kept from the pod informer's events (a lookup per reconcile, not a scan). */
  readonly #pods = new Map<string, Map<string, V1Pod>>();
  /**
   * The pipeline status this watcher last read or set for a Job's attempt. An event after which the
   * Job still maps to that status changes nothing (most events of a pipeline: pod created, Job
   * counts updated, ...) and needs no database read, nor does the cleanup of a Job whose attempt
   * ended; the first event of a Job always reads, so the orphan check still sees every Job.
   * Forgotten once the Job and its pods are gone.
   */
  readonly #settled = new Map<string, Pipeline['status']>();

  constructor(opts: WatcherOptions) {
    this.#o = opts;
    this.#queue = new KeyedQueue((name) => this.#reconcileJob(name), opts.logger);
    this.#transitions = opts.metrics.counter(
      'watcher_transitions_total',
      'Transitions made from Kubernetes state',
      ['to'],
    );
  }

  attach(caches: Caches): void {
    this.#caches = caches;
  }

  jobChanged(job: V1Job): void {
    if (job.metadata?.name) this.#queue.add(job.metadata.name);
  }

  podChanged(pod: V1Pod): void {
    const jobName = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const podName = pod.metadata?.name;
    if (!jobName || !podName) return;
    const pods = this.#pods.get(jobName) ?? new Map<string, V1Pod>();
    this.#pods.set(jobName, pods);
    pods.set(podName, pod);
    this.#queue.add(jobName);
  }

  podDeleted(pod: V1Pod): void {
    const jobName = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const podName = pod.metadata?.name;
    if (!jobName || !podName) return;
    const pods = this.#pods.get(jobName);
    pods?.delete(podName);
    if (pods?.size === 0) this.#pods.delete(jobName);
    this.#queue.add(jobName);
  }

  jobDeleted(job: V1Job): void {
    const name = job.metadata?.name;
    if (!name) return;
    this.#queue.add(name, job);
  }

  /** Every managed Job, and every pipeline that should have a Job. */
  async reconcileAll(): Promise<void> {
    for (const job of this.#caches.jobs()) this.jobChanged(job);
    const expecting = await this.#o.db
      .selectFrom('pipelines')
      .innerJoin('pipeline_attempts', (j) =>
        j
          .onRef('pipeline_attempts.pipeline_id', '=', 'pipelines.id')
          .onRef('pipeline_attempts.attempt', '=', 'pipelines.attempt'),
      )
      .select(['pipelines.id', 'pipelines.attempt'])
      .where('pipelines.status', 'in', ['Queued', 'Running'])
      .where('pipeline_attempts.job_created_at', 'is not', null)
      .where('pipelines.namespace', '=', this.#o.namespace)
      .execute();
    const present = new Set(this.#caches.jobs().map((j) => j.metadata?.name));
    for (const p of expecting) {
      const name = jobNameFor(p.id, p.attempt);
      if (!present.has(name)) this.#queue.add(name, 'missing');
    }
    await this.#queue.idle();
  }

  stop(): Promise<void> {
    return this.#queue.stop();
  }

  async #reconcileJob(name: string, hint?: V1Job | 'missing'): Promise<void> {
    const job = this.#caches.job(name);
    const deleted = hint !== undefined && hint !== 'missing' ? hint : undefined;
    const source = job ?? deleted;
    const ids = source ? idsOf(source) : parseJobName(name);
    if (!ids) return;
    const pods = [...(this.#pods.get(name)?.values() ?? [])];
    const seen = job && !job.metadata?.deletionTimestamp ? mapJobStatus(job, pods) : undefined;
    const settled = this.#settled.get(name);
    if (!job && settled !== undefined && isTerminal(settled)) {
      // A finished attempt's Job and pods being cleaned up: nothing to decide, nothing to read.
      if (!this.#pods.has(name)) this.#settled.delete(name);
      return;
    }
    if (seen && settled === seen.status) return;
    this.#settled.delete(name);
    const { db, subjects, logger } = this.#o;
    const pipeline = await db
      .selectFrom('pipelines')
      .selectAll()
      .where('id', '=', ids.pipelineId)
      .executeTakeFirst();
    const log = logger.child({ pipelineId: ids.pipelineId, attempt: ids.attempt, job: name });
    // The watcher learns of changes from Kubernetes, not from a message: the Job's annotation carries the trace.
    const traceparent =
      source?.metadata?.annotations?.[ANNOTATION_TRACEPARENT] ?? pipeline?.traceparent ?? null;

    if (!job) {
      // The Job is gone. Fine once the pipeline is done with it; otherwise the attempt is lost.
      if (pipeline && pipeline.attempt === ids.attempt && pipeline.status === 'Running') {
        const d = decide(JOB_VANISHED, pipeline);
        await this.#move(pipeline, d.to, d.reason, d.exitCode, log, traceparent);
      } else if (
        pipeline &&
        pipeline.attempt === ids.attempt &&
        pipeline.status === 'Queued' &&
        hint === 'missing'
      ) {
        await this.#move(
          pipeline,
          'Failed',
          'JobMissing: the Job was not found in the cluster',
          null,
          log,
          traceparent,
        );
      }
      return;
    }
    if (job.metadata?.deletionTimestamp) return;
    if (!pipeline || pipeline.attempt !== ids.attempt || isTerminal(pipeline.status)) {
      // Invariant 4: a managed Job nobody wants. Its pipeline's own cleanup path deletes it when the
      // pipeline ended normally; this only catches Jobs that outlived it (e.g. created after a cancel).
      if (!pipeline || (await this.#cleanupDone(pipeline, ids.attempt))) {
        log.info('deleting orphaned Job');
        // Keyed by the Job's uid: one delete per orphaned object, however often it is seen.
        await enqueue(db, subjects.jobDelete, {
          id: `orphan:${job.metadata?.uid ?? name}`,
          type: 'job.delete',
          version: 1,
          occurredAt: new Date().toISOString(),
          pipelineId: ids.pipelineId,
          attempt: ids.attempt,
          data: {
            jobName: name,
            namespace: job.metadata?.namespace ?? this.#o.namespace,
            reason: 'orphaned',
          },
        });
      }
      return;
    }
    if (!seen) return;
    if (seen.status === 'Queued' || seen.status === pipeline.status) {
      if (seen.status === pipeline.status || pipeline.status === 'Queued')
        this.#settled.set(name, seen.status);
      return;
    }
    let current: Pipeline = pipeline;
    if (current.status === 'Queued' && seen.status !== 'Running' && seen.status !== 'Cancelled') {
      // Finished before we saw it run: it did run, so record both steps.
      const moved = await this.#move(current, 'Running', null, null, log, traceparent);
      if (!moved) return;
      current = moved;
    }
    const d = decide(seen, current);
    const moved = await this.#move(current, d.to, d.reason, d.exitCode, log, traceparent);
    // Moved to what the Job shows: later events showing the same need no read. (A retry moves the
    // pipeline to Queued with a new attempt: this Job is then an old attempt's, re-read each time.)
    if (moved && moved.status === seen.status && moved.attempt === ids.attempt)
      this.#settled.set(name, seen.status);
  }

  async #cleanupDone(pipeline: Pipeline, attempt: number): Promise<boolean> {
    if (pipeline.attempt === attempt && !isTerminal(pipeline.status)) return false;
    const row = await this.#o.db
      .selectFrom('pipeline_attempts')
      .select(['job_deleted_at', 'logs_captured_at'])
      .where('pipeline_id', '=', pipeline.id)
      .where('attempt', '=', attempt)
      .executeTakeFirst();
    return !row || row.job_deleted_at !== null;
  }

  #move(
    pipeline: Pipeline,
    to: Pipeline['status'],
    reason: string | null,
    exitCode: number | null,
    log: Logger,
    traceparent: string | null,
  ): Promise<Pipeline | undefined> {
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    const attributes = {
      'pipeline.id': pipeline.id,
      'pipeline.attempt': pipeline.attempt,
      'pipeline.status': to,
    };
    return tracer.startActiveSpan(`transition ${to}`, { attributes }, parent, async (span) => {
      try {
        const result = await transition(this.#o.db, this.#o.subjects, {
          pipelineId: pipeline.id,
          attempt: pipeline.attempt,
          to,
          reason,
          exitCode,
        });
        span.setAttribute('pipeline.transition.applied', result.ok);
        if (!result.ok) return undefined;
        this.#transitions.inc({ to });
        log.info({ from: result.from, to, reason }, 'pipeline transition');
        return result.pipeline;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
  }
}

function idsOf(job: V1Job): { pipelineId: string; attempt: number } | undefined {
  const labels = job.metadata?.labels ?? {};
  const pipelineId = labels[LABEL_PIPELINE_ID];
  const attempt = Number(labels[LABEL_ATTEMPT]);
  return pipelineId && Number.isInteger(attempt) ? { pipelineId, attempt } : undefined;
}

function parseJobName(name: string): { pipelineId: string; attempt: number } | undefined {
  const m = /^pipeline-([0-9a-f-]{36})-(\d+)$/.exec(name);
  return m?.[1] && m[2] ? { pipelineId: m[1], attempt: Number(m[2]) } : undefined;
}
