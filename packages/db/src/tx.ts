import { type Kysely, sql, type Transaction } from 'kysely';
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

/**
 * Runs `fn` in a new transaction whose BEGIN carries `first`, a statement without parameters, in the
 * same round trip (one simple-protocol query). `fn` gets the transaction's connection.
 */
export function transactionBegunWith<T>(
  db: Kysely<Database>,
  first: string,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    let result: T;
    try {
      // In the try: were `first` to fail after BEGIN, the transaction would be open and aborted.
      await sql.raw(`begin; ${first}`).execute(conn);
      result = await fn(conn);
    } catch (err) {
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => {});
      throw err;
    }
    await sql.raw('commit').execute(conn);
    return result;
  });
}
