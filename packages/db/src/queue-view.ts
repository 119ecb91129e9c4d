import { type Kysely, sql } from 'kysely';
import { effectiveRank } from './admission.ts';
import type { Database } from './schema.ts';
import { waitsInQueue } from './sql.ts';

/** Where a waiting pipeline stands and what its tenant's latest admission pass said. */
export interface QueuePlace {
  id: string;
  /** 1-based, in admission order (aging counted): 1 is admitted next. */
  tenantPosition: number;
  overallPosition: number;
  /** The tenant's state from the latest pass (null: no pass has looked at the tenant's queue yet). */
  reason: string | null;
  message: string | null;
  details: Record<string, number | string | null> | null;
  checkedAt: Date | null;
}

/**
 * The queue places of those `ids` that wait in the queue, read in one statement: positions are
 * numbered over the whole queue at read time (aging as admission computes it), so nothing is written
 * per queued pipeline. Pipelines not waiting are absent from the map.
 */
export async function queuePlaces(
  db: Kysely<Database>,
  ids: string[],
  opts: { agingSeconds?: number | undefined; now?: Date | undefined } = {},
): Promise<Map<string, QueuePlace>> {
  if (ids.length === 0) return new Map();
  const eff = effectiveRank(opts.agingSeconds, opts.now);
  const { rows } = await sql<{
    id: string;
    tenant_position: string;
    overall_position: string;
    reason: string | null;
    message: string | null;
    details: Record<string, number | string | null> | null;
    checked_at: Date | null;
  }>`
    with ranked as (
      select p.id, p.tenant_id,
             row_number() over (partition by p.tenant_id order by ${eff} desc, p.queued_at, p.id) as tenant_position,
             row_number() over (order by ${eff} desc, p.queued_at, p.id) as overall_position
      from pipelines p
      where ${waitsInQueue}
    )
    select r.id, r.tenant_position, r.overall_position, s.reason, s.message, s.details, s.checked_at
    from ranked r
    left join queue_states s on s.tenant_id = r.tenant_id
    where r.id = any(${ids}::uuid[])
  `.execute(db);
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        tenantPosition: Number(r.tenant_position),
        overallPosition: Number(r.overall_position),
        reason: r.reason,
        message: r.message,
        details: r.details,
        checkedAt: r.checked_at,
      },
    ]),
  );
}
