/**
 * Named prepared statements for the statements a service sends again and again.
 *
 * node-postgres sends every parameterised statement as an unnamed one (Parse, Bind, Execute, Sync),
 * so Postgres parses, analyses and plans it on every execution — most of the cost of a short
 * statement with CTEs. A query config with a `name` is parsed once per connection (pg keeps
 * `parsedStatements` per connection and sends Parse only the first time; Bind and Execute after
 * that), and Postgres may switch to a generic plan after five executions.
 *
 * `preparedName(text)` gives each distinct statement text a short name, the same in every
 * connection, for up to `limit` texts per process; past the limit (statements whose text varies,
 * e.g. batch inserts with a row count of their own) a text stays unnamed, as before. Statements
 * without parameters stay unnamed too: they go by the simple protocol, which allows several
 * statements in one text (`begin; select …`), and a prepared statement may not.
 */
export class PreparedNames {
  private readonly names = new Map<string, string>();
  private readonly limit: number;
  constructor(limit = 256) {
    this.limit = limit;
  }

  /** The name of `text`'s prepared statement, or undefined when it goes unnamed. */
  nameOf(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    if (this.names.size >= this.limit) return undefined;
    const name = `po_${this.names.size.toString(36)}`;
    this.names.set(text, name);
    return name;
  }

  get size(): number {
    return this.names.size;
  }
}

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Makes a pg client send each parameterised text query (`query(text, values[, callback])`, what
 * kysely and pg-pool call) as a named prepared statement. Query configs and queries without
 * parameters go through unchanged.
 */
export function prepareStatements(client: { query: QueryFn }, names: PreparedNames): void {
  const query = client.query.bind(client) as QueryFn;
  client.query = (...args: unknown[]) => {
    const [text, values, callback] = args;
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return query(...args);
    const name = names.nameOf(text);
    if (name === undefined) return query(...args);
    const config = { name, text, values };
    return typeof callback === 'function' ? query(config, callback) : query(config);
  };
}
