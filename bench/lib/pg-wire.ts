/**
 * Counts what PostgreSQL clients send, from the frontend side of the wire protocol: each simple
 * Query ('Q') and each Execute ('E') is one statement; each Query or Sync ('S') is one round trip
 * (node-postgres sends Parse/Bind/Describe/Execute/Sync per extended-protocol statement and waits
 * for the answer). The bench puts a counting proxy between the services and Postgres because
 * pg_stat_statements is not loaded on this server (it needs shared_preload_libraries and a restart).
 */
export interface PgCounts {
  statements: number;
  roundTrips: number;
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
  constructor(counts: PgCounts) {
    this.counts = counts;
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
      } else if (type === 'E') this.counts.statements += 1;
      else if (type === 'S') this.counts.roundTrips += 1;
      this.buf = this.buf.subarray(1 + len);
    }
  }
}
