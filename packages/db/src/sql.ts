import { sql } from 'kysely';

/** The database's clock, so every timestamp of one transaction agrees (now() is the transaction start). */
export const now = sql<Date>`now()`;

/** Keeps the first time a column was set. */
export const firstTime = (column: 'started_at') => sql<Date>`coalesce(${sql.ref(column)}, now())`;

/** A pipeline row that holds a concurrency slot: Running, or admitted and its Job being created. */
export const holdsSlot = sql<boolean>`(status = 'Running' or (status = 'Queued' and admitted_at is not null))`;

/** A pipeline row whose current attempt waits in the queue for admission. */
export const waitsInQueue = sql<boolean>`(status = 'Queued' and admitted_at is null)`;
