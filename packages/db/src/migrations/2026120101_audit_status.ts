import { type Kysely, sql } from 'kysely';

// Each audit row carries the HTTP status (or the NATS reply's equivalent) the caller was answered with,
// beside `outcome` (`ok` or the error type).
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log add column status integer`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log drop column status`.execute(db);
}
