import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

export type Tx = Kysely<Database> | Transaction<Database>;

/** Runs `fn` in the caller's transaction when given one, otherwise in a new one. */
export function inTransaction<T>(db: Tx, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (isTransaction(db)) return fn(db);
  return db.transaction().execute(fn);
}

function isTransaction(db: Tx): db is Transaction<Database> {
  return db.isTransaction;
}
