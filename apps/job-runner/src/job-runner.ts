import { type Attributes, context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { RetryLater } from '@po/bus';
import {
  type JobCommand,
  type JobCreate,
  type JobDelete,
  jobNameFor,
  LABEL_MANAGED_BY,
  LABEL_PIPELINE_ID,
  MANAGED_BY,
  NO_PIPELINE_ID,
  type Subjects,
} from '@po/contracts';
import { type Database, markJobCreated, markJobDeleted, readAttemptState, transition } from '@po/db';
import { buildJob, classifyKubeError, type JobPolicy, type JobsApi, PolicyViolation } from '@po/kube';
import type { PipelineMetrics } from '@po/runtime';
import {
  endSpan,
  inPipeline,
  type Logger,
  type Metrics,
  markPipelineOutcome,
  type PipelineFacts,
  pipelineAttributes,
} from '@po/telemetry';
import type { Kysely } from 'kysely';
import { createDue, deleteDue, unownedDeleteDue } from './decide.ts';

export interface JobRunnerOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  jobs: JobsApi;
  logger: Logger;
  metrics: Metrics;
  pipelineMetrics?: PipelineMetrics;
  /** Its namespace is the only one this job-runner creates or deletes Jobs in. */
  policy: JobPolicy;
}

/**
 * The only writer of Kubernetes Jobs. A command names an attempt and nothing else is taken from it
 * (invariant 10): what to run is the admitted attempt's rendered Job in the database, where is the
 * configured namespace, and whether the step is due is decided from the database. Every step is
 * idempotent (deterministic names), so a forged or replayed command can at most repeat one.
 */
const tracer = trace.getTracer('@po/job-runner');

/**
 * One span per Kubernetes Job write (`create Job`, `delete Job`) with the `k8s.*` and `po.*`
 * attributes; the create span is the attempt's span: the Job's trace context names it.
 */
function jobSpan<T>(
  verb: 'create' | 'delete',
  facts: PipelineFacts,
  k8s: { namespace: string; job: string },
  fn: () => Promise<T>,
): Promise<T> {
  const attrs: Attributes = pipelineAttributes(facts);
  return inPipeline(attrs, () =>
    tracer.startActiveSpan(
      `${verb} Job`,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'k8s.namespace.name': k8s.namespace, 'k8s.job.name': k8s.job },
      },
      (span) => endSpan(span, fn),
    ),
  );
}

export class JobRunner {
  readonly #o: JobRunnerOptions;
  readonly #ops;

  constructor(opts: JobRunnerOptions) {
    this.#o = opts;
    this.#ops = opts.metrics.counter('job_runner_operations_total', 'Kubernetes Job writes by outcome', [
      'operation',
      'outcome',
    ]);
  }

  handle(cmd: JobCommand): Promise<void> {
    return cmd.type === 'job.create' ? this.create(cmd) : this.delete(cmd);
  }

  async create(cmd: JobCreate): Promise<void> {
    const { db, subjects, logger, policy } = this.#o;
    const jobName = jobNameFor(cmd.pipelineId, cmd.attempt);
    const logFor = logger.child({ pipeline_id: cmd.pipelineId, attempt: cmd.attempt, job: jobName });
    const { pipeline, attempt } = await readAttemptState(db, cmd.pipelineId, cmd.attempt);
    const log = pipeline ? logFor.child({ tenant: pipeline.tenant_id }) : logFor;
    // A cancel (or any transition) may have overtaken the command, or it was never due (forged).
    const due = createDue(pipeline, attempt, cmd.attempt);
    if (!pipeline || !due.due) {
      log.info({ status: pipeline?.status, why: due.due ? undefined : due.why }, 'create skipped');
      this.#ops.inc({ operation: 'create', outcome: 'skipped' });
      return;
    }
    const facts = {
      pipelineId: pipeline.id,
      attempt: cmd.attempt,
      tenant: pipeline.tenant_id,
      template: pipeline.template,
    };
    let created: { outcome: 'created' | 'exists'; uid: string | undefined };
    try {
      created = await jobSpan('create', facts, { namespace: policy.namespace, job: jobName }, () => {
        // The workload and the watcher continue the trace from this span (the attempt's).
        const carrier: Record<string, string> = {};
        propagation.inject(context.active(), carrier);
        const job = buildJob(
          {
            pipelineId: pipeline.id,
            attempt: pipeline.attempt,
            job: pipeline.job,
            timeoutSeconds: pipeline.timeout_seconds,
            ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
          },
          policy,
        );
        return this.#o.jobs.createWithUid(job);
      });
    } catch (err) {
      const reason =
        err instanceof PolicyViolation
          ? { kind: 'permanent' as const, reason: err.message }
          : classifyKubeError(err);
      if (reason.kind === 'retry') {
        this.#ops.inc({ operation: 'create', outcome: 'retry' });
        throw new RetryLater(reason.reason, reason.delayMs);
      }
      log.warn({ reason: reason.reason }, 'Job refused; failing the pipeline');
      this.#ops.inc({ operation: 'create', outcome: 'refused' });
      const why = `JobRejected: ${reason.reason}`;
      const r = await transition(db, subjects, {
        pipelineId: cmd.pipelineId,
        attempt: cmd.attempt,
        to: 'Failed',
        reason: why,
      });
      this.#o.pipelineMetrics?.transitioned(r);
      if (r.ok) {
        markPipelineOutcome(trace.getActiveSpan(), 'Failed', why);
        log.info(
          { tenant: pipeline.tenant_id, from: r.from, to: 'Failed', reason: why },
          'pipeline transition',
        );
      }
      return;
    }
    // The uid lets the delete name this very object, with no read first.
    await markJobCreated(db, cmd.pipelineId, cmd.attempt, created.uid);
    this.#ops.inc({ operation: 'create', outcome: created.outcome });
    log.info({ outcome: created.outcome }, 'Job created');
  }

  async delete(cmd: JobDelete): Promise<void> {
    if (cmd.pipelineId === NO_PIPELINE_ID) return this.#deleteUnowned(cmd);
    const { db, logger, policy } = this.#o;
    const namespace = policy.namespace;
    const jobName = jobNameFor(cmd.pipelineId, cmd.attempt);
    const logFor = logger.child({ pipeline_id: cmd.pipelineId, attempt: cmd.attempt, job: jobName });
    const { pipeline, attempt } = await readAttemptState(db, cmd.pipelineId, cmd.attempt);
    const log = pipeline ? logFor.child({ tenant: pipeline.tenant_id }) : logFor;
    const due = deleteDue(pipeline, attempt, cmd.attempt);
    if (!due.due) {
      log.warn({ why: due.why }, 'delete refused: not due');
      this.#ops.inc({ operation: 'delete', outcome: 'skipped' });
      return;
    }
    const facts = {
      pipelineId: cmd.pipelineId,
      attempt: cmd.attempt,
      tenant: pipeline?.tenant_id,
      template: pipeline?.template,
    };
    let outcome: 'deleted' | 'gone' | 'not ours';
    try {
      const uid = attempt?.job_uid;
      // The Job this job-runner created (its uid recorded then) is ours by construction: deleted only
      // if that object still holds the name (a precondition), with no read first. A Job it did not
      // create itself (found there) is read first, and deleted only if its labels say it is ours.
      outcome = uid
        ? await this.#deleteByUid(namespace, jobName, uid, facts)
        : await this.#deleteIfManaged(namespace, jobName, cmd.pipelineId, facts);
    } catch (err) {
      const c = classifyKubeError(err);
      this.#ops.inc({ operation: 'delete', outcome: c.kind });
      // A delete that Kubernetes refuses outright is still retried: leaving the Job is worse.
      throw new RetryLater(c.reason, c.kind === 'retry' ? c.delayMs : 30_000);
    }
    if (outcome === 'not ours') {
      // Not ours, whatever its name: never touched.
      log.warn('delete refused: the Job is not the one pipeline-operator created');
      this.#ops.inc({ operation: 'delete', outcome: 'unmanaged' });
      return;
    }
    if (attempt) await markJobDeleted(db, cmd.pipelineId, cmd.attempt);
    this.#ops.inc({ operation: 'delete', outcome });
    log.info({ outcome, reason: cmd.data.reason }, 'Job deleted');
  }

  async #deleteByUid(
    namespace: string,
    jobName: string,
    uid: string,
    facts: PipelineFacts,
  ): Promise<'deleted' | 'gone' | 'not ours'> {
    const r = await jobSpan('delete', facts, { namespace, job: jobName }, () =>
      this.#o.jobs.deleteUid(namespace, jobName, uid),
    );
    return r === 'replaced' ? 'not ours' : r;
  }

  async #deleteIfManaged(
    namespace: string,
    jobName: string,
    pipelineId: string,
    facts: PipelineFacts,
  ): Promise<'deleted' | 'gone' | 'not ours'> {
    const job = await this.#o.jobs.get(namespace, jobName);
    if (!job) return 'gone';
    const labels = job.metadata?.labels ?? {};
    if (labels[LABEL_MANAGED_BY] !== MANAGED_BY || labels[LABEL_PIPELINE_ID] !== pipelineId)
      return 'not ours';
    return jobSpan('delete', facts, { namespace, job: jobName }, () =>
      this.#o.jobs.delete(namespace, jobName),
    );
  }

  /** A managed Job that names no pipeline attempt (the watcher's orphan collection): by name, if still so. */
  async #deleteUnowned(cmd: JobDelete): Promise<void> {
    const { logger, policy, jobs } = this.#o;
    const jobName = cmd.data.jobName ?? '';
    const log = logger.child({ job: jobName });
    let outcome: 'deleted' | 'gone';
    try {
      const job = jobName ? await jobs.get(policy.namespace, jobName) : undefined;
      if (!job) outcome = 'gone';
      else {
        const due = unownedDeleteDue({ name: jobName, labels: job.metadata?.labels ?? {} });
        if (!due.due) {
          log.warn({ why: due.why }, 'delete refused: not an unowned managed Job');
          this.#ops.inc({ operation: 'delete', outcome: 'skipped' });
          return;
        }
        outcome = await jobs.delete(policy.namespace, jobName);
      }
    } catch (err) {
      const c = classifyKubeError(err);
      this.#ops.inc({ operation: 'delete', outcome: c.kind });
      throw new RetryLater(c.reason, c.kind === 'retry' ? c.delayMs : 30_000);
    }
    this.#ops.inc({ operation: 'delete', outcome });
    log.info({ outcome, reason: cmd.data.reason }, 'unowned Job deleted');
  }
}
