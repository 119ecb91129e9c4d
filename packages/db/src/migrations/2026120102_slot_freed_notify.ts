import { type Kysely, sql } from 'kysely';

/**
 * An attempt that ends (a terminal status, or a retry back to Queued) frees its admission slot:
 * NOTIFY the schedulers in the same transaction, so they admit the next pipeline at once instead
 * of at their next poll. Only an admitted attempt has a row here, so a pipeline cancelled while
 * still waiting in the queue (no slot) sends nothing; one transaction sends one notification.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function pipeline_slot_freed_notify() returns trigger language plpgsql as $$
      begin perform pg_notify('pipeline_slot_freed', ''); return null; end $$;
    create trigger pipeline_slot_freed_notify after update of finished_at on pipeline_attempts
      for each row when (old.finished_at is null and new.finished_at is not null)
      execute function pipeline_slot_freed_notify();
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger pipeline_slot_freed_notify on pipeline_attempts;
    drop function pipeline_slot_freed_notify();
  `.execute(db);
}
