/**
 * Named prepared statements for the statements a service sends again and again.
 *
 * node-postgres sends every parameterised statement as an unnamed one (Parse, Bind, Execute, Sync),
 * so Postgres parses, analyses and plans it on every execution — most of the cost of a short
 * statement with CTEs. A query config with a `name` is parsed once per connection (pg keeps
 * `parsedStatements` per connection and sends Parse only the first time; Bind and Execute after
 * that), and Postgres may switch to a generic plan after five executions.
 *
 * `nameOf(text)` gives each distinct statement text a short name, the same in every connection,
 * for up to `limit` names per process; past the limit (statements whose text varies, e.g. batch
 * inserts with a row count of their own) a text stays unnamed, as before. Statements without
 * parameters stay unnamed too: they go by the simple protocol, which allows several statements in
 * one text (`begin; select …`), and a prepared statement may not.
 */
export class PreparedNames {
  private readonly names = new Map<string, string>();
  private readonly limit: number;
  private issued = 0;
  constructor(limit = 256) {
    this.limit = limit;
  }

  /** The name of `text`'s prepared statement, or undefined when it goes unnamed. */
  nameOf(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    if (this.issued >= this.limit) return undefined;
    const name = `po_${(this.issued++).toString(36)}`;
    this.names.set(text, name);
    return name;
  }

  /**
   * The statement under `text`'s name no longer fits the schema (a migration changed the columns a
   * `select *` or `returning *` gives): the next execution prepares it afresh under a new name.
   */
  forget(text: string): void {
    this.names.delete(text);
  }

  get size(): number {
    return this.names.size;
  }
}

type QueryFn = (...args: unknown[]) => unknown;

/** Postgres refuses a prepared statement whose result columns changed since it was prepared. */
export function isStalePlan(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === '0A000' && typeof e.message === 'string' && e.message.includes('cached plan must not change')
  );
}

/**
 * Makes a pg client send each parameterised text query (`query(text, values[, callback])`, what
 * kysely and pg-pool call) as a named prepared statement. Query configs and queries without
 * parameters go through unchanged. A statement that fails because a migration changed its result
 * columns fails once (its transaction cannot go on anyway); its text gets a new name, so the caller's
 * retry prepares it again.
 */
export function prepareStatements(client: { query: QueryFn }, names: PreparedNames): void {
  const query = client.query.bind(client) as QueryFn;
  client.query = (...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return query(...args);
    const name = names.nameOf(text);
    if (name === undefined) return query(...args);
    const config = { name, text, values };
    const onError = (err: unknown) => {
      if (isStalePlan(err)) names.forget(text);
    };
    if (typeof callback === 'function')
      return query(config, (err: unknown, res: unknown) => {
        if (err) onError(err);
        (callback as (e: unknown, r: unknown) => void)(err, res);
      });
    return (query(config) as Promise<unknown>).catch((err: unknown) => {
      onError(err);
      throw err;
    });
  };
}
