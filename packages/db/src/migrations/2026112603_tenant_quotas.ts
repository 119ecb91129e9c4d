import { type Kysely, sql } from 'kysely';

// Per-tenant quotas: a row overrides the platform defaults for one tenant (max_running: pipelines
// Running or admitted at once, TENANT_MAX_RUNNING; max_queued: pipelines waiting in the queue, beyond
// which submissions are refused, TENANT_MAX_QUEUED); a null column means the default applies.
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table tenant_quotas (
      tenant_id text primary key,
      max_running integer check (max_running >= 0),
      max_queued integer check (max_queued >= 0),
      updated_at timestamptz not null default now()
    );
    -- Admission reads each tenant's queue head and counts its slots; the queue-timeout sweep scans
    -- by age. The predicates are the ones of holdsSlot / waitsInQueue (src/sql.ts), word for word,
    -- so the planner can use these partial indexes.
    create index pipelines_queue_by_tenant on pipelines (tenant_id, priority_rank desc, queued_at, id)
      where (status = 'Queued' and admitted_at is null);
    create index pipelines_slots on pipelines (tenant_id)
      where (status = 'Running' or (status = 'Queued' and admitted_at is not null));
    create index pipelines_queue_age on pipelines (queued_at)
      where (status = 'Queued' and admitted_at is null);
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index pipelines_queue_age;
    drop index pipelines_slots;
    drop index pipelines_queue_by_tenant;
    drop table tenant_quotas;
  `.execute(db);
}
