import type { Subjects } from '@po/contracts';
import type { Kysely } from 'kysely';
import { queued, statusChanged } from './envelopes.ts';
import { enqueue, traceHeadersFor } from './outbox.ts';
import type { Database, NewPipeline, Pipeline } from './schema.ts';
import type { Tx } from './tx.ts';

export type InsertPipelineResult =
  | { created: true; pipeline: Pipeline }
  | { created: false; existing: Pipeline };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Insert a new pipeline as Queued (attempt 1) with its first event and messages. A repeated
 * (tenant_id, idempotency_key) returns the existing pipeline instead of failing.
 */
export async function insertPipeline(
  db: Kysely<Database>,
  subjects: Subjects,
  row: NewPipeline,
): Promise<InsertPipelineResult> {
  const values: NewPipeline = {
    ...row,
    status: 'Queued',
    attempt: 1,
    admitted_at: null,
    traceparent: row.traceparent ?? traceHeadersFor(null).traceparent ?? null,
  };
  const pipeline = await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('pipelines')
      .values(values)
      // ON CONFLICT waits for a concurrent insert of the same key and then does nothing, so the
      // select below sees the winner's committed row.
      .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) return undefined;
    await trx
      .insertInto('pipeline_events')
      .values({
        pipeline_id: inserted.id,
        attempt: inserted.attempt,
        kind: 'transition',
        from_status: null,
        to_status: 'Queued',
        reason: inserted.reason,
      })
      .execute();
    const headers = traceHeadersFor(inserted.traceparent);
    await enqueue(
      trx,
      subjects.pipelineStatus(inserted.id),
      statusChanged(inserted, null, inserted.reason),
      headers,
    );
    await enqueue(trx, subjects.pipelineQueued, queued(inserted), headers);
    return inserted;
  });
  if (pipeline) return { created: true, pipeline };
  const existing = await db
    .selectFrom('pipelines')
    .selectAll()
    .where('tenant_id', '=', row.tenant_id ?? 'default')
    .where('idempotency_key', '=', row.idempotency_key ?? '')
    .executeTakeFirstOrThrow();
  return { created: false, existing };
}

/** undefined for an unknown id, including one that is not a UUID (so callers can pass user input). */
export async function getPipeline(db: Tx, id: string): Promise<Pipeline | undefined> {
  if (!UUID_RE.test(id)) return undefined;
  return db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst();
}
