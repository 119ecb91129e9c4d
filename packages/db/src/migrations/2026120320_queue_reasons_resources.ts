import { type Kysely, sql } from 'kysely';

// Resource quotas and queue reasons (issue 12).
// - pipelines.cpu_millis / memory_bytes: the pipeline's requests summed over its pods (parallelism
//   counted), set at create; admission sums them over the pipelines holding a slot. Rows from before
//   this migration count 0.
// - tenant_quotas.max_cpu / max_memory: a tenant's own resource quota as the operator spelled it,
//   beside its value in base units (what admission compares); null: the platform default.
// - queue_states: per tenant, why its next waiting pipeline was not admitted in the scheduler's
//   latest pass (one upsert per pass, never a write per queued pipeline).
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table pipelines
      add column cpu_millis bigint not null default 0 check (cpu_millis >= 0),
      add column memory_bytes bigint not null default 0 check (memory_bytes >= 0);
    alter table tenant_quotas
      add column max_cpu text,
      add column max_cpu_millis bigint check (max_cpu_millis >= 0),
      add column max_memory text,
      add column max_memory_bytes bigint check (max_memory_bytes >= 0);
    create table queue_states (
      tenant_id text primary key,
      reason text not null,
      message text not null,
      details jsonb not null default '{}'::jsonb,
      checked_at timestamptz not null default now()
    );
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table queue_states;
    alter table tenant_quotas drop column max_memory_bytes, drop column max_memory,
      drop column max_cpu_millis, drop column max_cpu;
    alter table pipelines drop column memory_bytes, drop column cpu_millis;
  `.execute(db);
}
