import { sql } from 'kysely';

/** The database's clock, so every timestamp of one transaction agrees (now() is the transaction start). */
export const now = sql<Date>`now()`;

/** Keeps the first time a column was set. */
export const firstTime = (column: 'started_at') => sql<Date>`coalesce(${sql.ref(column)}, now())`;
