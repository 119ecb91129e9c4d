import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { type Attributes, trace } from '@opentelemetry/api';
import {
  ANNOTATION_TRACEPARENT,
  isTerminal,
  jobNameFor,
  LABEL_ATTEMPT,
  LABEL_PIPELINE_ID,
  NO_PIPELINE_ID,
  type PipelineStatus,
  type Subjects,
} from '@po/contracts';
import {
  type Database,
  enqueue,
  listJobHolders,
  type Pipeline,
  readAttemptState,
  recordPodDisruption,
  requestJobCreateAgain,
  transition,
} from '@po/db';
import { disruptionOf, mapJobStatus } from '@po/kube';
import type { PipelineMetrics } from '@po/runtime';
import {
  ATTR_TENANT,
  contextOf,
  endSpan,
  type Logger,
  type Metrics,
  markPipelineOutcome,
  pipelineAttributes,
  withPipelineAttributes,
} from '@po/telemetry';
import type { Kysely } from 'kysely';
import { KeyedQueue } from './keyed-queue.ts';
import {
  type Command,
  type JobView,
  type Plan,
  type PlanPolicy,
  plan,
  planUnowned,
  type Step,
} from './planner.ts';

export interface WatcherOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  logger: Logger;
  metrics: Metrics;
  /** Pipelines this watcher ends (terminal transitions), by template and status. */
  pipelineMetrics?: PipelineMetrics;
  namespace: string;
  /** The synced informer caches (read only after start()). */
  caches: Caches;
  /** An authoritative read of one Job from the API server (undefined: 404). */
  readJob: (name: string) => Promise<V1Job | undefined>;
  policy: PlanPolicy;
  /** Level-triggered resync period: the safety net for missed events and the clock of bounded waits. */
  resyncMs: number;
  now?: () => Date;
}

export interface Caches {
  jobs(): V1Job[];
  job(name: string): V1Job | undefined;
}

const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
const tracer = trace.getTracer('@po/watcher');

/**
 * Turns what Kubernetes says about managed Jobs into pipeline transitions. Level-triggered: any
 * change to a Job or one of its pods re-reads the whole picture for that Job and hands it to the
 * planner; repeated, reordered or missed events all converge, and a periodic resync covers what no
 * event announces (a Job that never appears). Events that arrive before start() (before both
 * informers have synced) are only recorded: no decision is made from a partial cache.
 */
export class Watcher {
  readonly #o: WatcherOptions;
  readonly #queue: KeyedQueue;
  readonly #transitions;
  readonly #orphans;
  readonly #now: () => Date;
  /** Pods by their Job's name, kept from the pod informer's events (a lookup per reconcile, not a scan). */
  readonly #pods = new Map<string, Map<string, V1Pod>>();
  /** Pods deleted since their Job's last pass, in their final state (for their disruption, if any). */
  readonly #gone = new Map<string, V1Pod[]>();
  /** Disruptions recorded by this process, by pod uid: a disrupted pod's later events need no read. */
  readonly #disruptionsRecorded = new Set<string>();
  /**
   * The status the Job mapped to when this watcher last read or set its pipeline at that status.
   * An event after which the Job still maps to it changes nothing (most events: pod created, Job
   * counts updated, ...) and needs no database read. Memory only: a restart reads everything again.
   */
  readonly #settled = new Map<string, Pipeline['status']>();
  #resyncTimer: NodeJS.Timeout | undefined;
  #resyncing: Promise<void> | undefined;
  #started = false;

  constructor(opts: WatcherOptions) {
    this.#o = opts;
    this.#now = opts.now ?? (() => new Date());
    this.#queue = new KeyedQueue((name) => this.#reconcile(name), opts.logger);
    this.#transitions = opts.metrics.counter(
      'watcher_transitions_total',
      'Transitions made from Kubernetes state',
      ['to'],
    );
    this.#orphans = opts.metrics.counter(
      'watcher_orphans_deleted_total',
      'Orphaned managed Jobs the watcher asked to delete (unowned: naming no pipeline attempt)',
      ['kind'],
    );
  }

  jobChanged(job: V1Job): void {
    if (job.metadata?.name) this.#queue.add(job.metadata.name);
  }

  jobDeleted(job: V1Job): void {
    const name = job.metadata?.name;
    if (!name) return;
    // A finished attempt's Job going away is its cleanup: no read. Any other Job is read again.
    const settled = this.#settled.get(name);
    if (settled !== undefined && !isTerminal(settled)) this.#settled.delete(name);
    this.#queue.add(name);
  }

  podChanged(pod: V1Pod): void {
    const jobName = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const podName = pod.metadata?.name;
    if (!jobName || !podName) return;
    const pods = this.#pods.get(jobName) ?? new Map<string, V1Pod>();
    this.#pods.set(jobName, pods);
    pods.set(podName, pod);
    this.#noteDisruption(jobName, pod);
    this.#queue.add(jobName);
  }

  podDeleted(pod: V1Pod): void {
    const jobName = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const podName = pod.metadata?.name;
    if (!jobName || !podName) return;
    const pods = this.#pods.get(jobName);
    pods?.delete(podName);
    if (pods?.size === 0) this.#pods.delete(jobName);
    if (this.#noteDisruption(jobName, pod)) {
      const gone = this.#gone.get(jobName) ?? [];
      gone.push(pod);
      this.#gone.set(jobName, gone);
    }
    this.#queue.add(jobName);
  }

  /** Both informers have listed: decide, now and on every resync. Idempotent. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#queue.start();
    await this.resync();
    await this.#queue.idle();
    this.#resyncTimer = setInterval(() => void this.resync(), this.#o.resyncMs);
    this.#resyncTimer.unref();
  }

  /**
   * Level-triggered pass over everything: every cached Job not known to be settled, and every
   * pipeline that holds a slot but whose Job is not in the cache (lost, or never created).
   */
  resync(): Promise<void> {
    this.#resyncing ??= this.#resyncOnce().finally(() => {
      this.#resyncing = undefined;
    });
    return this.#resyncing;
  }

  async #resyncOnce(): Promise<void> {
    const { caches, db, namespace, logger } = this.#o;
    try {
      for (const job of caches.jobs()) {
        const name = job.metadata?.name;
        if (name && !this.#settled.has(name)) this.#queue.add(name);
      }
      for (const p of await listJobHolders(db, namespace)) {
        const name = jobNameFor(p.id, p.attempt);
        if (!caches.job(name)) this.#queue.add(name);
      }
    } catch (err) {
      logger.warn({ err }, 'resync failed; the next one retries');
    }
  }

  async stop(): Promise<void> {
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    this.#resyncTimer = undefined;
    await this.#resyncing;
    await this.#queue.stop();
  }

  /** True when the pod shows a disruption not yet recorded: its Job must be read again. */
  #noteDisruption(jobName: string, pod: V1Pod): boolean {
    if (!disruptionOf(pod) || this.#disruptionsRecorded.has(pod.metadata?.uid ?? '')) return false;
    this.#settled.delete(jobName);
    return true;
  }

  async #reconcile(name: string): Promise<void> {
    const cached = this.#o.caches.job(name);
    const pods = [...(this.#pods.get(name)?.values() ?? [])];
    const ids = (cached && idsOf(cached)) ?? parseJobName(name);
    if (!ids) {
      // Managed (the informer lists only those), yet it names no pipeline attempt: nobody owns it.
      if (cached) {
        const log = this.#o.logger.child({ job: name });
        const p = planUnowned(cached, this.#now(), this.#o.policy);
        const target = { pipelineId: NO_PIPELINE_ID, attempt: 0, name, job: cached, pods, status: undefined };
        // No pipeline: its spans carry no pipeline attributes.
        await this.#apply(p, target, log, null, {});
      }
      return;
    }
    const settled = this.#settled.get(name);
    if (settled !== undefined) {
      // A finished attempt's Job being cleaned up, or a Job that still shows what was recorded: no read.
      if (!cached && isTerminal(settled)) {
        if (!this.#pods.has(name)) this.#settled.delete(name);
        return;
      }
      if (cached && !cached.metadata?.deletionTimestamp && mapJobStatus(cached, pods)?.status === settled)
        return;
      this.#settled.delete(name);
    }
    const gone = this.#gone.get(name) ?? [];
    this.#gone.delete(name);
    const state = await readAttemptState(this.#o.db, ids.pipelineId, ids.attempt);
    const input = {
      attempt: ids.attempt,
      pipeline: state.pipeline,
      attemptRow: state.attempt,
      pods,
      gonePods: gone,
      now: this.#now(),
      policy: this.#o.policy,
    };
    let view: JobView = cached ? { kind: 'present', job: cached } : { kind: 'absent-in-cache' };
    let p = plan({ ...input, job: view });
    if (p.commands.some((c) => c.type === 'confirm-absence')) {
      // Invariant 9: "the Job is gone" only from the API server, never from the cache alone.
      const server = await this.#o.readJob(name);
      view = server ? { kind: 'present', job: server } : { kind: 'confirmed-absent' };
      p = plan({ ...input, job: view });
    }
    const log = this.#o.logger.child({ pipeline_id: ids.pipelineId, attempt: ids.attempt, job: name });
    const job = view.kind === 'present' ? view.job : undefined;
    const traceparent =
      job?.metadata?.annotations?.[ANNOTATION_TRACEPARENT] ?? state.pipeline?.traceparent ?? null;
    try {
      await this.#apply(
        p,
        { ...ids, name, job, pods: [...pods, ...gone], status: state.pipeline?.status },
        log,
        traceparent,
        pipelineAttributes({
          ...ids,
          tenant: state.pipeline?.tenant_id,
          template: state.pipeline?.template,
        }),
      );
    } catch (err) {
      // Not recorded yet: keep the deleted pods for the retry.
      if (gone.length > 0) this.#gone.set(name, [...gone, ...(this.#gone.get(name) ?? [])]);
      throw err;
    }
  }

  async #apply(
    p: Plan,
    target: {
      pipelineId: string;
      attempt: number;
      name: string;
      job: V1Job | undefined;
      pods: V1Pod[];
      /** The pipeline status the plan was made from: each step applies only from the status before it. */
      status: PipelineStatus | undefined;
    },
    log: Logger,
    traceparent: string | null,
    attrs: Attributes,
  ): Promise<void> {
    if (p.steps.length > 0 || p.commands.length > 0) log.debug({ why: p.why, plan: p }, 'reconcile plan');
    for (const c of p.commands) await this.#command(c, target, log);
    let applied = true;
    let from = target.status;
    for (const step of p.steps) {
      if (
        from === undefined ||
        !(await this.#move(target.pipelineId, target.attempt, from, step, log, traceparent, attrs))
      ) {
        applied = false;
        break;
      }
      from = step.to;
    }
    for (const pod of target.pods)
      if (disruptionOf(pod)) this.#disruptionsRecorded.add(pod.metadata?.uid ?? '');
    if (applied && p.settled !== undefined) this.#settled.set(target.name, p.settled);
  }

  async #command(
    c: Command,
    target: { pipelineId: string; attempt: number; name: string; job: V1Job | undefined },
    log: Logger,
  ): Promise<void> {
    const { db, subjects, namespace } = this.#o;
    switch (c.type) {
      case 'confirm-absence':
        return;
      case 'record-disruption':
        if (await recordPodDisruption(db, target.pipelineId, target.attempt, c.reason))
          log.info({ reason: c.reason }, 'pod disrupted; the Job replaces it');
        return;
      case 'request-create':
        if (await requestJobCreateAgain(db, subjects, { ...target, request: c.request, reason: c.reason }))
          log.warn({ reason: c.reason }, 'Job not seen; asked for it again');
        return;
      case 'delete-orphan':
        log.info({ unowned: c.jobName !== undefined }, 'deleting orphaned Job');
        this.#orphans.inc({ kind: c.jobName !== undefined ? 'unowned' : 'no-live-attempt' });
        // Keyed by the Job's uid: one delete per orphaned object, however often it is seen.
        await enqueue(db, subjects.jobDelete, {
          id: `orphan:${c.uid || target.name}`,
          type: 'job.delete',
          version: 1,
          occurredAt: new Date().toISOString(),
          pipelineId: target.pipelineId,
          attempt: target.attempt,
          data: {
            jobName: c.jobName ?? target.name,
            namespace: c.namespace ?? namespace,
            reason: c.jobName !== undefined ? 'orphaned: names no pipeline attempt' : 'orphaned',
          },
        });
        return;
    }
  }

  #move(
    pipelineId: string,
    attempt: number,
    from: PipelineStatus,
    step: Step,
    log: Logger,
    traceparent: string | null,
    attrs: Attributes,
  ): Promise<boolean> {
    // The attempt's span (the Job's annotation) or the pipeline's root: the pipeline's trace.
    const parent = withPipelineAttributes(contextOf(traceparent), attrs);
    const attributes = { ...attrs, 'po.pipeline.status': step.to };
    return tracer.startActiveSpan(`transition ${step.to}`, { attributes }, parent, (span) =>
      endSpan(span, async () => {
        const result = await transition(this.#o.db, this.#o.subjects, {
          pipelineId,
          attempt,
          from,
          to: step.to,
          reason: step.reason,
          exitCode: step.exitCode,
          ...(step.attemptOutcome ? { attemptOutcome: step.attemptOutcome } : {}),
        });
        span.setAttribute('po.transition.applied', result.ok);
        if (!result.ok) return false;
        markPipelineOutcome(span, step.to, step.reason ?? null);
        this.#transitions.inc({ to: step.to });
        this.#o.pipelineMetrics?.transitioned(result);
        log.info(
          { from: result.from, to: step.to, reason: step.reason, tenant: attrs[ATTR_TENANT] },
          'pipeline transition',
        );
        return true;
      }),
    );
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
