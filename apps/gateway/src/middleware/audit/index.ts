import type { Database } from '@po/db';
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { isApiError } from '../../errors/api-error.ts';
import type { Logger, Principal } from '../../types.ts';

export interface AuditEntry {
  actor: string;
  tenantId: string | null;
  action: string;
  target: string | null;
  requestId: string | null;
  clientAddr: string | null;
  outcome: string;
  details?: Record<string, unknown> | undefined;
}

/**
 * Buffers audit rows and writes them in batches (one INSERT per flush), so auditing costs the
 * request path nothing. `flush()` is awaited on shutdown and by tests.
 */
export class AuditSink {
  readonly #db: Kysely<Database>;
  readonly #logger: Logger;
  readonly #maxBatch: number;
  #buffer: AuditEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(db: Kysely<Database>, logger: Logger, maxBatch = 500) {
    this.#db = db;
    this.#logger = logger;
    this.#maxBatch = maxBatch;
  }

  record(entry: AuditEntry): void {
    this.#buffer.push(entry);
    if (this.#buffer.length >= this.#maxBatch) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), 50);
  }

  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#buffer;
    this.#buffer = [];
    const previous = this.#inFlight;
    this.#inFlight = previous.then(() => this.#write(batch));
    return this.#inFlight;
  }

  async #write(batch: AuditEntry[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      await this.#db
        .insertInto('audit_log')
        .values(
          batch.map((e) => ({
            actor: e.actor,
            tenant_id: e.tenantId,
            action: e.action,
            target: e.target,
            request_id: e.requestId,
            client_addr: e.clientAddr,
            outcome: e.outcome,
            details: e.details ? JSON.stringify(e.details) : null,
          })),
        )
        .execute();
    } catch (err) {
      this.#logger.error({ err, rows: batch.length }, 'audit write failed');
    }
  }
}

export type AuditVariables = {
  /** Set by handlers: what was done to what. */
  audit: { action: string; target?: string | null; details?: Record<string, unknown> };
};

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every mutating call leaves an audit row: actor, action, target, request id, client address and
 * outcome (`ok` / the error type / `status:<code>`), including calls refused by auth or limits.
 */
export function audit(sink: AuditSink, clientAddr: (c: Context) => string | null): MiddlewareHandler {
  return async (c, next) => {
    if (!MUTATING.has(c.req.method)) return next();
    let outcome = 'ok';
    try {
      await next();
      if (c.error) outcome = isApiError(c.error) ? c.error.type : 'Internal';
      else if (c.res.status >= 400) outcome = `status:${c.res.status}`;
    } catch (e) {
      outcome = isApiError(e) ? e.type : 'Internal';
      throw e;
    } finally {
      const principal = c.get('principal') as Principal | undefined;
      const set = c.get('audit') as AuditVariables['audit'] | undefined;
      sink.record({
        actor: principal?.actor ?? 'anonymous',
        tenantId: principal?.tenantId ?? null,
        action: set?.action ?? `${c.req.method} ${c.req.path}`,
        target: set?.target ?? null,
        requestId: (c.get('requestId') as string | undefined) ?? null,
        clientAddr: clientAddr(c),
        outcome,
        details: set?.details,
      });
    }
  };
}
