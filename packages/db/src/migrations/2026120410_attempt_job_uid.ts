import { type Kysely, sql } from 'kysely';

// The uid of the Job the job-runner created for an attempt: its delete names that object
// (a precondition), so it needs no read of the Job first to know the Job is ours.
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table pipeline_attempts add column job_uid text`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table pipeline_attempts drop column job_uid`.execute(db);
}
