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

type PlaceRow = {
  id: string;
  tenant_position: string;
  overall_position: string;
  reason: string | null;
  message: string | null;
  details: Record<string, number | string | null> | null;
  checked_at: Date | null;
};

/**
 * One pipeline's place: the waiting pipelines ahead of it counted in one pass over the queue (no
 * sort; about half the window's cost, measured with 20,000 queued).
 */
function countAhead(
  db: Kysely<Database>,
  id: string,
  opts: { agingSeconds?: number | undefined; now?: Date | undefined },
) {
  const eff = effectiveRank(opts.agingSeconds, opts.now);
  const effX = effectiveRank(opts.agingSeconds, opts.now, 'x');
  return sql<PlaceRow>`
    with x as (
      select x.id, x.tenant_id, x.queued_at, ${effX} as e from pipelines x
      where x.id = ${id}::uuid and x.status = 'Queued' and x.admitted_at is null
    ), ahead as (
      select count(*) filter (where p.tenant_id = x.tenant_id) as tenant, count(*) as overall
      from x join pipelines p
        on p.status = 'Queued' and p.admitted_at is null
        and (${eff} > x.e or (${eff} = x.e and (p.queued_at, p.id) < (x.queued_at, x.id)))
    )
    select x.id, a.tenant + 1 as tenant_position, a.overall + 1 as overall_position,
           s.reason, s.message, s.details, s.checked_at
    from x cross join ahead a
    left join queue_states s on s.tenant_id = x.tenant_id
  `.execute(db);
}

/**
 * The queue places of those `ids` that wait in the queue, read in one statement: positions are
 * numbered over the whole queue at read time (aging as admission computes it), so nothing is written
 * per queued pipeline. One id (GET /pipelines/:id) counts what is ahead of it; several (a page of the
 * list) number the whole queue once with window functions. Pipelines not waiting are absent.
 */
export async function queuePlaces(
  db: Kysely<Database>,
  ids: string[],
  opts: { agingSeconds?: number | undefined; now?: Date | undefined } = {},
): Promise<Map<string, QueuePlace>> {
  if (ids.length === 0) return new Map();
  const [only] = ids;
  const { rows } =
    only !== undefined && ids.length === 1
      ? await countAhead(db, only, opts)
      : await numberAll(db, ids, opts);
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

function numberAll(
  db: Kysely<Database>,
  ids: string[],
  opts: { agingSeconds?: number | undefined; now?: Date | undefined },
) {
  const eff = effectiveRank(opts.agingSeconds, opts.now);
  return sql<PlaceRow>`
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
}
