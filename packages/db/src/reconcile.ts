/** What the watcher reads and writes while it reconciles a Job with its pipeline (invariants 4, 9, 11). */
import type { Subjects } from '@po/contracts';
import { jobCreate } from './envelopes.ts';
import { enqueue, traceHeadersFor } from './outbox.ts';
import type { Pipeline, PipelineAttempt } from './schema.ts';
import { holdsSlot, now } from './sql.ts';
import { inTransaction, type Tx } from './tx.ts';

export interface AttemptState {
  pipeline: Pipeline | undefined;
  /** The row of the attempt the Job belongs to (not necessarily the pipeline's current one). */
  attempt: PipelineAttempt | undefined;
}

/** A pipeline and one of its attempts, read together. */
export async function readAttemptState(db: Tx, pipelineId: string, attempt: number): Promise<AttemptState> {
  const [pipeline, row] = await Promise.all([
    db.selectFrom('pipelines').selectAll().where('id', '=', pipelineId).executeTakeFirst(),
    db
      .selectFrom('pipeline_attempts')
      .selectAll()
      .where('pipeline_id', '=', pipelineId)
      .where('attempt', '=', attempt)
      .executeTakeFirst(),
  ]);
  return { pipeline, attempt: row };
}

/** Every pipeline of the namespace whose current attempt has, or should have, a Job: Running, or admitted. */
export function listJobHolders(db: Tx, namespace: string): Promise<{ id: string; attempt: number }[]> {
  return db
    .selectFrom('pipelines')
    .select(['id', 'attempt'])
    .where(holdsSlot)
    .where('namespace', '=', namespace)
    .execute();
}

export interface JobCreateRequest {
  pipelineId: string;
  attempt: number;
  /** 1 for the first request after admission's own, 2 for the next, …: a request is made once. */
  request: number;
  reason: string;
}

/**
 * Asks the job-runner again for the Job of an admitted attempt whose Job never appeared. The
 * command has its own id (the admission's was published, and JetStream would drop a repeat); the
 * Job name is the same, so a Job that did get created makes this an AlreadyExists. True only for
 * the call that made request `n`, and only while the attempt is still admitted and waiting.
 */
export function requestJobCreateAgain(db: Tx, subjects: Subjects, req: JobCreateRequest): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    // FOR SHARE: a transition of this pipeline (which takes NO KEY UPDATE) waits for us, and we for it.
    const p = await trx
      .selectFrom('pipelines')
      .selectAll()
      .where('id', '=', req.pipelineId)
      .forShare()
      .executeTakeFirst();
    if (!p || p.attempt !== req.attempt || p.status !== 'Queued' || p.admitted_at === null) return false;
    const marked = await trx
      .updateTable('pipeline_attempts')
      .set({ job_create_requests: req.request, job_create_requested_at: now })
      .where('pipeline_id', '=', req.pipelineId)
      .where('attempt', '=', req.attempt)
      .where('job_create_requests', '=', req.request - 1)
      .where('job_created_at', 'is', null)
      .returning('attempt')
      .executeTakeFirst();
    if (!marked) return false;
    await trx
      .insertInto('pipeline_events')
      .values({
        pipeline_id: p.id,
        attempt: p.attempt,
        kind: 'job_create_requested',
        from_status: null,
        to_status: null,
        reason: req.reason,
      })
      .execute();
    await enqueue(
      trx,
      subjects.jobCreate,
      { ...jobCreate(p), id: `${p.id}:${p.attempt}:create:${req.request}` },
      traceHeadersFor(p.traceparent),
    );
    return true;
  });
}

/**
 * Records that the cluster disrupted one of the attempt's pods (eviction, preemption, node loss):
 * the Job replaces the pod, and this event is how the pipeline's history shows it. Once per reason
 * (which names the pod), however often it is reported.
 */
export async function recordPodDisruption(
  db: Tx,
  pipelineId: string,
  attempt: number,
  reason: string,
): Promise<boolean> {
  const r = await db
    .insertInto('pipeline_events')
    .columns(['pipeline_id', 'attempt', 'kind', 'from_status', 'to_status', 'reason'])
    .expression((eb) =>
      eb
        .selectFrom('pipelines')
        .select((s) => [
          'pipelines.id',
          s.val(attempt).as('attempt'),
          s.val('pod_disrupted').as('kind'),
          s.val(null).as('from_status'),
          s.val(null).as('to_status'),
          s.val(reason).as('reason'),
        ])
        .where('pipelines.id', '=', pipelineId)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('pipeline_events')
                .select('pipeline_events.id')
                .where('pipeline_events.pipeline_id', '=', pipelineId)
                .where('pipeline_events.attempt', '=', attempt)
                .where('pipeline_events.kind', '=', 'pod_disrupted')
                .where('pipeline_events.reason', '=', reason),
            ),
          ),
        ),
    )
    .executeTakeFirst();
  return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
}
