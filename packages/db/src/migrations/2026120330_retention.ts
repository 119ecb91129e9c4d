import { type Kysely, sql } from 'kysely';

// Retention (src/retention.ts): the sweep finds what has expired through these partial indexes, a small
// batch at a time. `logs_deleted_for` is the finished_at of the run whose logs the log sweep deleted, so
// a restarted pipeline that finishes again is eligible again, and a swept one is never scanned twice.
// The predicates are the ones of src/retention.ts, word for word, so the planner can use the indexes.
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table pipelines add column logs_deleted_for timestamptz;
    create index pipelines_finished on pipelines (finished_at)
      where (status in ('Succeeded', 'Failed', 'Timeout', 'Cancelled'));
    create index pipelines_logs_kept on pipelines (finished_at)
      where (status in ('Succeeded', 'Failed', 'Timeout', 'Cancelled') and logs_deleted_for is distinct from finished_at);
    create index outbox_published on outbox (published_at) where (published_at is not null);
    create index audit_log_at on audit_log (at);
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index audit_log_at;
    drop index outbox_published;
    drop index pipelines_logs_kept;
    drop index pipelines_finished;
    alter table pipelines drop column logs_deleted_for;
  `.execute(db);
}
