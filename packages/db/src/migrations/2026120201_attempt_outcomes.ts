import { type Kysely, sql } from 'kysely';

// Each attempt shows its own status from admission on (Queued, then Running, then its outcome), and
// the watcher records how often it re-requested the Job of an admitted attempt whose Job never appeared.
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table pipeline_attempts alter column status set default 'Queued';
    update pipeline_attempts set status = 'Queued' where status is null and started_at is null and finished_at is null;
    update pipeline_attempts set status = 'Running' where status is null and started_at is not null and finished_at is null;
    alter table pipeline_attempts add column job_create_requests integer not null default 0;
    alter table pipeline_attempts add column job_create_requested_at timestamptz;
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table pipeline_attempts drop column job_create_requested_at;
    alter table pipeline_attempts drop column job_create_requests;
    alter table pipeline_attempts alter column status drop default;
  `.execute(db);
}
