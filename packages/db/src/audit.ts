import type { Insertable } from 'kysely';
import type { AuditLogTable } from './schema.ts';
import type { Tx } from './tx.ts';

/**
 * One audit row: who did what to what, from where, and what they were answered. Written by the HTTP
 * gateway and the NATS intake alike, in the transaction of the change it records (`auditRow` for a
 * statement that inserts it itself, `recordAudit` otherwise); a refused call (nothing changed) gets
 * its row on its own, one statement per call, so no call's row can make another's fail.
 */
export interface AuditEntry {
  actor: string;
  tenantId: string | null;
  action: string;
  target: string | null;
  requestId: string | null;
  clientAddr: string | null;
  /** `ok`, or the error type the caller got (`InvalidConfig`, `Unauthorized`, …). */
  outcome: string;
  /** The status code the caller got. */
  status: number | null;
  details?: Record<string, unknown> | undefined;
}

const MAX_TEXT = 512;

/**
 * Text as Postgres can store it: NUL and other control characters and lone surrogates (which
 * Postgres refuses, failing the statement) are written as `\uXXXX`, and the length is bounded. An
 * audit row records what a caller sent, so nothing is dropped silently.
 */
export function auditText(s: string, max = MAX_TEXT): string {
  let out = '';
  for (let i = 0; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i += 1;
        continue;
      }
    }
    const lone = c >= 0xd800 && c <= 0xdfff;
    out += c < 0x20 || c === 0x7f || lone ? `\\u${c.toString(16).padStart(4, '0')}` : s[i];
  }
  if (out.length <= max) return out;
  const cut = out.slice(0, max);
  // Never end on half of a surrogate pair.
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

const opt = (s: string | null): string | null => (s === null ? null : auditText(s));

function cleanJson(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return auditText(v);
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.slice(0, 50).map((x) => cleanJson(x, depth + 1));
  return Object.fromEntries(
    Object.entries(v)
      .slice(0, 50)
      .map(([k, x]) => [auditText(k, 64), cleanJson(x, depth + 1)]),
  );
}

/** The row for an entry, every text made storable. */
export function auditRow(e: AuditEntry): Insertable<AuditLogTable> {
  return {
    actor: auditText(e.actor),
    tenant_id: opt(e.tenantId),
    action: auditText(e.action),
    target: opt(e.target),
    request_id: opt(e.requestId),
    client_addr: opt(e.clientAddr),
    outcome: auditText(e.outcome, 64),
    status: e.status,
    details: e.details ? JSON.stringify(cleanJson(e.details)) : null,
  };
}

/** Inserts one audit row with `db` (a transaction to make it part of a change). */
export async function recordAudit(db: Tx, e: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values(auditRow(e)).execute();
}
