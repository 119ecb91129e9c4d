import { HTTP_STATUS_OF } from '@po/contracts';
import { type AuditEntry, type Database, recordAudit } from '@po/db';
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { toApiError } from '../../errors/handler.ts';
import type { Logger, Principal } from '../../types.ts';

export type { AuditEntry };

/**
 * The audit record of one mutating request. A handler that changes something writes the row in the
 * transaction of its change (`entry()` gives it, `committed()` says it is done); every other request
 * (refused, failed, a replay that changed nothing) gets its row from the middleware once the answer
 * is known, one statement per request, before the response leaves.
 */
export class AuditTrail {
  readonly #c: Context;
  readonly #clientAddr: string | null;
  #committed = false;

  constructor(c: Context, clientAddr: string | null) {
    this.#c = c;
    this.#clientAddr = clientAddr;
  }

  /** The row for this request with the given answer (by default: done, `status`). */
  entry(status: number, outcome = 'ok'): AuditEntry {
    const c = this.#c;
    const principal = c.get('principal') as Principal | undefined;
    const set = c.get('audit') as AuditVariables['audit'] | undefined;
    return {
      actor: principal?.actor ?? 'anonymous',
      tenantId: principal?.tenantId ?? null,
      action: set?.action ?? `${c.req.method} ${c.req.path}`,
      target: set?.target ?? null,
      requestId: (c.get('requestId') as string | undefined) ?? null,
      clientAddr: this.#clientAddr,
      outcome,
      status,
      details: set?.details,
    };
  }

  /** The handler's change committed together with `entry()`'s row. */
  committed(): void {
    this.#committed = true;
  }

  get isCommitted(): boolean {
    return this.#committed;
  }
}

export type AuditVariables = {
  /** Set by handlers: what was done to what. */
  audit: { action: string; target?: string | null; details?: Record<string, unknown> };
  /** Set by the audit middleware on mutating requests. */
  auditTrail: AuditTrail;
};

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The trail of a mutating request (the audit middleware runs before every route). */
export function auditTrail(c: Context): AuditTrail {
  const t = c.get('auditTrail') as AuditTrail | undefined;
  if (!t) throw new Error('audit middleware is not installed');
  return t;
}

export interface AuditOptions {
  db: Kysely<Database>;
  logger: Logger;
  clientAddr: (c: Context) => string | null;
}

/**
 * Every mutating call leaves an audit row — actor, action, target, request id, client address, the
 * outcome (`ok` or the error type) and the status it was answered — including calls refused by auth
 * or limits. A change's row is written with the change; when the row of a refusal cannot be written
 * the refusal still stands (nothing changed), and the failure is logged.
 */
export function audit(opts: AuditOptions): MiddlewareHandler {
  return async (c, next) => {
    if (!MUTATING.has(c.req.method)) return next();
    const trail = new AuditTrail(c, opts.clientAddr(c));
    c.set('auditTrail', trail);
    let thrown: unknown;
    try {
      await next();
    } catch (e) {
      thrown = e;
    }
    const err = thrown ?? c.error;
    const status = err !== undefined ? HTTP_STATUS_OF[toApiError(err).type] : c.res.status;
    if (err !== undefined || status >= 400 || !trail.isCommitted) {
      const outcome = err !== undefined ? toApiError(err).type : status >= 400 ? `status:${status}` : 'ok';
      try {
        await recordAudit(opts.db, trail.entry(status, outcome));
      } catch (writeErr) {
        opts.logger.error({ err: writeErr, requestId: c.get('requestId') }, 'audit write failed');
      }
    }
    if (thrown !== undefined) throw thrown;
  };
}
