/**
 * Retention: what the sweep deletes once it has expired, a small batch per statement so no lock is
 * held long and no statement touches much. Every batch picks its rows `FOR UPDATE SKIP LOCKED`, so
 * any number of sweepers (scheduler replicas) can run at once: they take disjoint batches and each
 * counts only what it deleted. Ages are measured with the database's clock.
 *
 * - finished pipelines (Succeeded, Failed, Timeout, Cancelled) by `finished_at`, with their attempts,
 *   events and logs (foreign keys cascade; a pipeline's logs are capped, LOG_CAP_BYTES);
 * - the logs alone of finished pipelines, earlier (optional);
 * - published outbox rows by `published_at` (an unpublished one is never deleted);
 * - audit rows by `at`.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';

export type RetentionKind = 'pipelines' | 'logs' | 'outbox' | 'audit';
export const RETENTION_KINDS: readonly RetentionKind[] = ['pipelines', 'logs', 'outbox', 'audit'];

/** The same predicate as the partial indexes of migration 2026120330_retention. */
const finished = sql<boolean>`(status in ('Succeeded', 'Failed', 'Timeout', 'Cancelled'))`;
const logsKept = sql<boolean>`(status in ('Succeeded', 'Failed', 'Timeout', 'Cancelled') and logs_deleted_for is distinct from finished_at)`;

const olderThan = (column: string, seconds: number) =>
  sql<boolean>`${sql.ref(column)} < now() - make_interval(secs => ${seconds})`;

/**
 * Deletes one batch (at most `limit`) of `kind` older than `maxAgeSeconds`; returns how many rows of
 * that kind it deleted (for logs: log lines).
 */
export async function sweepBatch(
  db: Kysely<Database>,
  kind: RetentionKind,
  opts: { maxAgeSeconds: number; limit: number },
): Promise<number> {
  const { maxAgeSeconds: age, limit } = opts;
  switch (kind) {
    case 'pipelines': {
      const r = await sql`
        delete from pipelines where id in (
          select id from pipelines where ${finished} and ${olderThan('finished_at', age)}
          order by finished_at limit ${limit} for update skip locked)`.execute(db);
      return Number(r.numAffectedRows ?? 0n);
    }
    case 'logs': {
      // One transaction per batch of pipelines: their logs go, and they are marked so the next pass
      // does not look at them again.
      return db.transaction().execute(async (trx) => {
        const picked = await sql<{ id: string }>`
          update pipelines set logs_deleted_for = finished_at where id in (
            select id from pipelines where ${logsKept} and ${olderThan('finished_at', age)}
            order by finished_at limit ${limit} for update skip locked)
          returning id`.execute(trx);
        const ids = picked.rows.map((p) => p.id);
        if (ids.length === 0) return 0;
        const r = await trx.deleteFrom('pipeline_logs').where('pipeline_id', 'in', ids).executeTakeFirst();
        return Number(r.numDeletedRows);
      });
    }
    case 'outbox': {
      const r = await sql`
        delete from outbox where id in (
          select id from outbox where published_at is not null and ${olderThan('published_at', age)}
          order by published_at limit ${limit} for update skip locked)`.execute(db);
      return Number(r.numAffectedRows ?? 0n);
    }
    case 'audit': {
      const r = await sql`
        delete from audit_log where id in (
          select id from audit_log where ${olderThan('at', age)}
          order by at limit ${limit} for update skip locked)`.execute(db);
      return Number(r.numAffectedRows ?? 0n);
    }
  }
}
