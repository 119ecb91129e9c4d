import type { Subjects } from '@po/contracts';
import { jobNameFor } from '@po/contracts';
import { type Kysely, sql } from 'kysely';
import { jobCreate } from './envelopes.ts';
import { type OutboxMessage, outboxRows } from './outbox.ts';
import type { Database, Pipeline } from './schema.ts';
import { holdsSlot, now, waitsInQueue } from './sql.ts';

export interface AdmitOptions {
  limit: number;
  /** Global concurrency quota: pipelines Running or admitted-but-not-yet-running. */
  maxRunning?: number;
  /**
   * Per-tenant concurrency quota, counted the same way, for tenants without their own row in
   * tenant_quotas (a row's max_running overrides it). Undefined: only tenants with a row are capped.
   */
  tenantMaxRunning?: number;
}

// Admission counts and admits atomically, or two admitters could both see room for the last slot
// (global or a tenant's); they serialise on this transaction-scoped advisory lock.
const QUOTA_LOCK = sql`select pg_advisory_xact_lock(hashtext('po.admission.quota'))`;
const UNCAPPED = 2_147_483_647;

/**
 * The queue's next `limit` pipelines, highest priority then oldest first, skipping those whose
 * tenant is at its quota: from each tenant's own queue (in the same order) only as many as it has
 * free slots are eligible, and no more than the global quota has room for. Reads at most `limit`
 * rows per tenant through pipelines_queue_by_tenant:
 * the tenants with queued work are found by skipping through that index (one probe per tenant),
 * not by scanning the queue.
 */
function eligible(trx: Kysely<Database>, limit: number, maxRunning: number, tenantMaxRunning: number) {
  return sql<{ id: string }>`
    with recursive waiting(tenant_id) as (
      (select tenant_id from pipelines where ${waitsInQueue} order by tenant_id limit 1)
      union all
      select (select p.tenant_id from pipelines p
              where ${waitsInQueue} and p.tenant_id > w.tenant_id
              order by p.tenant_id limit 1)
      from waiting w where w.tenant_id is not null
    ), room as (
      select w.tenant_id,
             coalesce(q.max_running, ${tenantMaxRunning})
               - (select count(*) from pipelines s where s.tenant_id = w.tenant_id and ${holdsSlot}) as free
      from waiting w
      left join tenant_quotas q on q.tenant_id = w.tenant_id
      where w.tenant_id is not null
    )
    select c.id from room r
    cross join lateral (
      select p.id, p.priority_rank, p.queued_at from pipelines p
      where p.tenant_id = r.tenant_id and ${waitsInQueue}
      order by p.priority_rank desc, p.queued_at, p.id
      limit greatest(0, least(r.free, ${limit}))
    ) c
    order by c.priority_rank desc, c.queued_at, c.id
    limit greatest(0, least(${limit}, ${maxRunning} - (select count(*) from pipelines where ${holdsSlot})))
  `.execute(trx);
}

/**
 * The scheduler's admission: oldest of the highest priority first, within the global and per-tenant
 * quotas. Rows a concurrent transition holds (a cancel, say) are skipped (SKIP LOCKED). Each admitted
 * attempt gets its attempts row, an 'admitted' event and a JobCreate command in the same transaction.
 */
export function admitQueued(
  db: Kysely<Database>,
  subjects: Subjects,
  opts: AdmitOptions,
): Promise<Pipeline[]> {
  return db.transaction().execute(async (trx) => {
    await QUOTA_LOCK.execute(trx);
    const { rows } = await eligible(
      trx,
      opts.limit,
      opts.maxRunning ?? UNCAPPED,
      opts.tenantMaxRunning ?? UNCAPPED,
    );
    if (rows.length === 0) return [];
    const order = new Map(rows.map((r, i) => [r.id, i]));
    const admitted = await trx
      .updateTable('pipelines')
      .set({ admitted_at: now, updated_at: now })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('pipelines')
          .select('id')
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .where(waitsInQueue)
          .forNoKeyUpdate() // see transition(): FK inserts elsewhere take KEY SHARE on these rows
          .skipLocked(),
      )
      .returningAll()
      .execute();
    if (admitted.length === 0) return [];
    admitted.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));

    // Attempt rows, 'admitted' events and JobCreate commands in one statement. A batch mixes
    // pipelines, so the active span (if any) belongs to at most one of them: each command continues
    // its own pipeline's trace instead.
    await trx
      .with('attempts', (q) =>
        q
          .insertInto('pipeline_attempts')
          .values(
            admitted.map((p) => ({
              pipeline_id: p.id,
              attempt: p.attempt,
              job_name: jobNameFor(p.id, p.attempt),
              namespace: p.namespace,
            })),
          )
          .returning('pipeline_id'),
      )
      .with('events', (q) =>
        q
          .insertInto('pipeline_events')
          .values(
            admitted.map((p) => ({
              pipeline_id: p.id,
              attempt: p.attempt,
              kind: 'admitted' as const,
              from_status: null,
              to_status: null,
              reason: null,
            })),
          )
          .returning('id'),
      )
      .insertInto('outbox')
      .values(
        outboxRows(
          admitted.map(
            (p): OutboxMessage => ({
              subject: subjects.jobCreate,
              message: jobCreate(p),
              headers: p.traceparent ? { traceparent: p.traceparent } : {},
            }),
          ),
        ),
      )
      .onConflict((oc) => oc.column('msg_id').doNothing())
      .execute();
    return admitted;
  });
}
