import { type Kysely, sql } from 'kysely';

/**
 * One NOTIFY per INSERT statement on the outbox instead of one per row. Relays only need a wake-up
 * (they read the rows themselves), so a statement that inserts 128 rows sends one notification, and
 * Postgres folds identical notifications of one transaction into one. A statement that inserted
 * nothing (ON CONFLICT DO NOTHING) sends none.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger outbox_notify on outbox;
    drop function outbox_notify();
    create function outbox_notify() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from inserted) then perform pg_notify('outbox', ''); end if;
        return null;
      end $$;
    create trigger outbox_notify after insert on outbox referencing new table as inserted
      for each statement execute function outbox_notify();
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop trigger outbox_notify on outbox;
    drop function outbox_notify();
    create function outbox_notify() returns trigger language plpgsql as $$
      begin perform pg_notify('outbox', NEW.id::text); return NEW; end $$;
    create trigger outbox_notify after insert on outbox for each row execute function outbox_notify();
  `.execute(db);
}
