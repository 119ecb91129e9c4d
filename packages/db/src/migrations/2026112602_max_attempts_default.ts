import { type Kysely, sql } from 'kysely';

// Attempts the platform ends (eviction, a vanished Job) are retried; three attempts in all by default.
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table pipelines alter column max_attempts set default 3`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table pipelines alter column max_attempts set default 1`.execute(db);
}
