/** What the watcher reads and writes while it reconciles a Job with its pipeline (invariants 4, 9, 11). */
import type { Subjects } from '@po/contracts';
import { sql } from 'kysely';
import { jobCreate } from './envelopes.ts';
import { enqueue, traceHeadersFor } from './outbox.ts';
import { UUID_RE } from './pipelines.ts';
import type { Pipeline, PipelineAttempt } from './schema.ts';
import { holdsSlot, now } from './sql.ts';
import { inTransaction, type Tx } from './tx.ts';

export interface AttemptState {
  pipeline: Pipeline | undefined;
  /** The row of the attempt the Job belongs to (not necessarily the pipeline's current one). */
  attempt: PipelineAttempt | undefined;
}

/** Every column of an attempt row (the compiler checks the list is complete). */
const ATTEMPT_COLUMNS = [
  'pipeline_id',
  'attempt',
  'job_name',
  'namespace',
  'admitted_at',
  'job_created_at',
  'started_at',
  'finished_at',
  'status',
  'exit_code',
  'reason',
  'logs_captured_at',
  'logs_bytes',
  'logs_truncated',
  'job_deleted_at',
  'job_create_requests',
  'job_create_requested_at',
  'job_uid',
] as const satisfies readonly (keyof PipelineAttempt)[];
type Missing = Exclude<keyof PipelineAttempt, (typeof ATTEMPT_COLUMNS)[number]>;
const complete: Missing extends never ? true : Missing = true;
void complete;
/** The attempt's columns travel beside the pipeline's under this prefix (both tables have `attempt`, `status`, ...). */
const PREFIX = 'attempt__';

/**
 * A pipeline and one of its attempts, read together in one statement (what the watcher and the
 * job-runner decide from). Both undefined for an id that is no pipeline's (not even a uuid).
 */
export async function readAttemptState(db: Tx, pipelineId: string, attempt: number): Promise<AttemptState> {
  if (!UUID_RE.test(pipelineId)) return { pipeline: undefined, attempt: undefined };
  const attemptColumns = sql.join(ATTEMPT_COLUMNS.map((c) => sql`a.${sql.ref(c)} as ${sql.ref(PREFIX + c)}`));
  const { rows } = await sql<Record<string, unknown>>`
    select p.*, ${attemptColumns} from pipelines p
    left join pipeline_attempts a on a.pipeline_id = p.id and a.attempt = ${attempt}
    where p.id = ${pipelineId}`.execute(db);
  const row = rows[0];
  if (!row) return { pipeline: undefined, attempt: undefined };
  const pipeline: Record<string, unknown> = {};
  const attemptRow: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith(PREFIX)) attemptRow[k.slice(PREFIX.length)] = v;
    else pipeline[k] = v;
  }
  return {
    pipeline: pipeline as Pipeline,
    attempt: attemptRow.pipeline_id === null ? undefined : (attemptRow as PipelineAttempt),
  };
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
