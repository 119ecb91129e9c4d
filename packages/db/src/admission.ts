import type { Subjects } from '@po/contracts';
import { jobNameFor } from '@po/contracts';
import { type Kysely, sql } from 'kysely';
import { jobCreate } from './envelopes.ts';
import { enqueue } from './outbox.ts';
import type { Database, Pipeline } from './schema.ts';
import { now } from './sql.ts';

export interface AdmitOptions {
  limit: number;
  /** Global concurrency quota: pipelines Running or admitted-but-not-yet-running. */
  maxRunning?: number;
}

// Admitters that enforce maxRunning must count and admit atomically, or two of them could both see
// room for the last slot; they serialise on this transaction-scoped advisory lock.
const QUOTA_LOCK = sql`select pg_advisory_xact_lock(hashtext('po.admission.quota'))`;

/**
 * The scheduler's admission: oldest of the highest priority first; SKIP LOCKED so concurrent
 * admitters (and in-flight transitions) never pick the same row. Each admitted attempt gets its
 * attempts row, an 'admitted' event and a JobCreate command in the same transaction.
 */
export function admitQueued(
  db: Kysely<Database>,
  subjects: Subjects,
  opts: AdmitOptions,
): Promise<Pipeline[]> {
  return db.transaction().execute(async (trx) => {
    let limit = opts.limit;
    if (opts.maxRunning !== undefined) {
      await QUOTA_LOCK.execute(trx);
      const { active } = await trx
        .selectFrom('pipelines')
        .select((eb) => eb.fn.countAll<string>().as('active'))
        .where((eb) =>
          eb.or([
            eb('status', '=', 'Running'),
            eb.and([eb('status', '=', 'Queued'), eb('admitted_at', 'is not', null)]),
          ]),
        )
        .executeTakeFirstOrThrow();
      limit = Math.min(limit, opts.maxRunning - Number(active));
    }
    if (limit <= 0) return [];

    const candidates = await trx
      .selectFrom('pipelines')
      .select('id')
      .where('status', '=', 'Queued')
      .where('admitted_at', 'is', null)
      .orderBy('priority_rank', 'desc')
      .orderBy('queued_at')
      .orderBy('id')
      .limit(limit)
      .forNoKeyUpdate() // see transition(): FK inserts elsewhere take KEY SHARE on these rows
      .skipLocked()
      .execute();
    if (candidates.length === 0) return [];

    const admitted = await trx
      .updateTable('pipelines')
      .set({ admitted_at: now, updated_at: now })
      .where(
        'id',
        'in',
        candidates.map((c) => c.id),
      )
      .returningAll()
      .execute();
    admitted.sort(
      (a, b) => candidates.findIndex((c) => c.id === a.id) - candidates.findIndex((c) => c.id === b.id),
    );

    for (const p of admitted) {
      await trx
        .insertInto('pipeline_attempts')
        .values({
          pipeline_id: p.id,
          attempt: p.attempt,
          job_name: jobNameFor(p.id, p.attempt),
          namespace: p.namespace,
        })
        .execute();
      await trx
        .insertInto('pipeline_events')
        .values({
          pipeline_id: p.id,
          attempt: p.attempt,
          kind: 'admitted',
          from_status: null,
          to_status: null,
          reason: null,
        })
        .execute();
      // A batch mixes pipelines, so the active span (if any) belongs to at most one of them: continue
      // each pipeline's own trace instead.
      await enqueue(
        trx,
        subjects.jobCreate,
        jobCreate(p),
        p.traceparent ? { traceparent: p.traceparent } : {},
      );
    }
    return admitted;
  });
}
