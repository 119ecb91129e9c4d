/**
 * Why a queued pipeline waits, from the API's `queue` object (`{reason, message, details,
 * position: {tenant, overall}}`, see QueueInfo in the OpenAPI document); a pipeline without one
 * (not looked at yet, or an older gateway) falls back to its `reason`.
 */
export interface Pending {
  reason: string | undefined;
  /** "3 in its tenant's queue, 7 overall" */
  position: string | undefined;
  /** The numbers behind the reason, as label/value pairs (null values, meaning "no limit", left out). */
  details: [string, string][];
}

interface QueueInfo {
  reason?: unknown;
  message?: unknown;
  details?: unknown;
  position?: { tenant?: unknown; overall?: unknown } | null;
}

export function pendingOf(p: { reason?: unknown; queue?: unknown }): Pending {
  const q = (p.queue && typeof p.queue === 'object' ? p.queue : {}) as QueueInfo;
  const message = typeof q.message === 'string' ? q.message : undefined;
  const kind = typeof q.reason === 'string' ? q.reason : undefined;
  const reason =
    kind && message ? `${kind}: ${message}` : (kind ?? (typeof p.reason === 'string' ? p.reason : undefined));
  const pos = q.position;
  const position =
    pos && typeof pos.tenant === 'number' && typeof pos.overall === 'number'
      ? `${pos.tenant} in its tenant's queue, ${pos.overall} overall`
      : undefined;
  const details: [string, string][] = [];
  if (q.details && typeof q.details === 'object')
    for (const [k, v] of Object.entries(q.details as Record<string, unknown>))
      if (typeof v === 'number' || typeof v === 'string') details.push([k.replace(/_/g, ' '), String(v)]);
  return { reason, position, details };
}
