import { context, propagation } from '@opentelemetry/api';
import { RetryLater } from '@po/bus';
import { isTerminal, type JobCommand, type JobCreate, type JobDelete, type Subjects } from '@po/contracts';
import { type Database, getPipeline, markJobCreated, markJobDeleted, transition } from '@po/db';
import { buildJob, classifyKubeError, type JobPolicy, type JobsApi, PolicyViolation } from '@po/kube';
import type { Logger, Metrics } from '@po/telemetry';
import type { Kysely } from 'kysely';

export interface JobRunnerOptions {
  db: Kysely<Database>;
  subjects: Subjects;
  jobs: JobsApi;
  logger: Logger;
  metrics: Metrics;
  policy: JobPolicy;
}

/** The only writer of Kubernetes Jobs. Every command is idempotent: deterministic names make a repeat a no-op. */
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
    const { db, subjects, logger } = this.#o;
    const log = logger.child({ pipelineId: cmd.pipelineId, attempt: cmd.attempt, job: cmd.data.jobName });
    const pipeline = await getPipeline(db, cmd.pipelineId);
    // A cancel (or any transition) may have overtaken the command: then there is nothing to run.
    if (!pipeline || pipeline.attempt !== cmd.attempt || isTerminal(pipeline.status)) {
      log.info({ status: pipeline?.status }, 'create skipped: attempt no longer wanted');
      this.#ops.inc({ operation: 'create', outcome: 'skipped' });
      return;
    }
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    let outcome: 'created' | 'exists';
    try {
      const job = buildJob(
        {
          pipelineId: cmd.pipelineId,
          attempt: cmd.attempt,
          job: cmd.data.job,
          timeoutSeconds: cmd.data.timeoutSeconds,
          ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
        },
        { ...this.#o.policy, namespace: cmd.data.namespace },
      );
      outcome = await this.#o.jobs.create(job);
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
      await transition(db, subjects, {
        pipelineId: cmd.pipelineId,
        attempt: cmd.attempt,
        to: 'Failed',
        reason: `JobRejected: ${reason.reason}`,
      });
      return;
    }
    await markJobCreated(db, cmd.pipelineId, cmd.attempt);
    this.#ops.inc({ operation: 'create', outcome });
    log.info({ outcome }, 'Job created');
  }

  async delete(cmd: JobDelete): Promise<void> {
    let outcome: 'deleted' | 'gone';
    try {
      outcome = await this.#o.jobs.delete(cmd.data.namespace, cmd.data.jobName);
    } catch (err) {
      const c = classifyKubeError(err);
      this.#ops.inc({ operation: 'delete', outcome: c.kind });
      // A delete that Kubernetes refuses outright is still retried: leaving the Job is worse.
      throw new RetryLater(c.reason, c.kind === 'retry' ? c.delayMs : 30_000);
    }
    await markJobDeleted(this.#o.db, cmd.pipelineId, cmd.attempt);
    this.#ops.inc({ operation: 'delete', outcome });
    this.#o.logger.info({ pipelineId: cmd.pipelineId, job: cmd.data.jobName, outcome }, 'Job deleted');
  }
}
