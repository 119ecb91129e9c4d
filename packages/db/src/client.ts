import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PreparedNames, prepareStatements } from './prepared.ts';
import type { Database } from './schema.ts';

export interface DbOptions {
  connectionString: string;
  max?: number;
  applicationName?: string;
  /**
   * Send parameterised statements as named prepared statements (prepared.ts), so Postgres parses
   * and plans each text once per connection. Default true.
   */
  prepare?: boolean;
}

/** One set of names per process: a text has the same name in every pool and connection. */
const preparedNames = new PreparedNames();

export interface DbHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createDb(opts: DbOptions): DbHandle {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max ?? 10,
    application_name: opts.applicationName,
  });
  // An idle client whose server connection dies emits 'error' on the pool; unhandled it would crash
  // the process. The pool discards that client and the next query gets a fresh connection.
  pool.on('error', () => {});
  // A client checked out but between queries (e.g. inside a transaction awaiting a NATS publish) has
  // no pool listener; its connection dying would emit an unhandled 'error' and crash the process.
  // With this listener the client's next query fails instead, and the pool discards it on release.
  const prepare = opts.prepare ?? true;
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (prepare)
      prepareStatements(client as unknown as Parameters<typeof prepareStatements>[0], preparedNames);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    close: () => {
      closing ??= db.destroy();
      return closing;
    },
  };
}
