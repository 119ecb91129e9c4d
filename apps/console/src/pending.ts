/**
 * Why a queued pipeline waits. The API may say so in a `queue` or `pending_reason` object (position
 * in the queue, reason, and whatever else it knows) or only in the pipeline's `reason`; this reads
 * whichever is there, so the page shows the richest answer the gateway gives.
 */
export interface Pending {
  reason: string | undefined;
  position: number | undefined;
  /** Further facts the API gave, as label/value pairs. */
  details: [string, string][];
}

const REASON_KEYS = ['reason', 'message', 'summary', 'code'];
const POSITION_KEYS = ['position', 'queue_position', 'ahead'];

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

export function pendingOf(p: Record<string, unknown>): Pending {
  const out: Pending = { reason: undefined, position: undefined, details: [] };
  const seen = new Set<string>();
  for (const key of ['pending_reason', 'queue']) {
    const v = p[key];
    if (typeof v === 'string') out.reason ??= v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (REASON_KEYS.includes(k) && typeof x === 'string') out.reason ??= x;
        else if (POSITION_KEYS.includes(k) && typeof x === 'number') out.position ??= x;
        else {
          const s = scalar(x);
          if (s !== undefined && !seen.has(k)) {
            seen.add(k);
            out.details.push([k.replace(/_/g, ' '), s]);
          }
        }
      }
    }
  }
  if (typeof p.queue_position === 'number') out.position ??= p.queue_position;
  if (typeof p.reason === 'string') out.reason ??= p.reason;
  return out;
}
