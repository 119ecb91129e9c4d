/**
 * Counts what PostgreSQL clients send, from the frontend side of the wire protocol: each simple
 * Query ('Q') and each Execute ('E') is one statement; each Query or Sync ('S') is one round trip
 * (node-postgres sends Parse/Bind/Describe/Execute/Sync per extended-protocol statement and waits
 * for the answer); each Query and each Parse ('P') is a text Postgres parses and plans — a named
 * prepared statement is parsed once per connection, then only bound and executed. The bench puts a counting proxy between the services and Postgres because
 * pg_stat_statements is not loaded on this server (it needs shared_preload_libraries and a restart).
 */
export interface PgCounts {
  statements: number;
  roundTrips: number;
  /** Texts Postgres had to parse: simple Queries and Parse messages. */
  parses: number;
  connections: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** One client connection's frontend byte stream, fed in chunks as they arrive. */
export class PgFrontendCounter {
  private buf: Buffer = Buffer.alloc(0);
  /** Before the startup message, messages have no type byte. */
  private startup = true;
  private readonly counts: PgCounts;
  /** When given: how often each text was parsed (Query or Parse), by text. */
  private readonly texts: Map<string, number> | undefined;
  constructor(counts: PgCounts, texts?: Map<string, number>) {
    this.counts = counts;
    this.texts = texts;
    counts.connections += 1;
  }

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.startup) {
        if (this.buf.length < 8) return;
        const len = this.buf.readInt32BE(0);
        if (this.buf.length < len) return;
        const code = this.buf.readInt32BE(4);
        // An SSL or GSS encryption request is followed by the real startup message.
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.startup = false;
        this.buf = this.buf.subarray(len);
        continue;
      }
      if (this.buf.length < 5) return;
      const type = String.fromCharCode(this.buf[0] ?? 0);
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < 1 + len) return;
      if (type === 'Q') {
        this.counts.statements += 1;
        this.counts.roundTrips += 1;
        this.counts.parses += 1;
        this.noteText(this.buf.subarray(5, 1 + len));
      } else if (type === 'P') {
        this.counts.parses += 1;
        if (this.texts) {
          const body = this.buf.subarray(5, 1 + len);
          this.noteText(body.subarray(body.indexOf(0) + 1));
        }
      } else if (type === 'E') this.counts.statements += 1;
      else if (type === 'S') this.counts.roundTrips += 1;
      this.buf = this.buf.subarray(1 + len);
    }
  }

  /** `body` starts with a NUL-terminated text. */
  private noteText(body: Buffer): void {
    if (!this.texts) return;
    const end = body.indexOf(0);
    const text = body.toString('utf8', 0, end < 0 ? body.length : end);
    this.texts.set(text, (this.texts.get(text) ?? 0) + 1);
  }
}
