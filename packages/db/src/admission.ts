import { jobNameFor, PRIORITY_RANK, type Subjects } from '@po/contracts';
import { type Kysely, sql } from 'kysely';
import { jobCreate } from './envelopes.ts';
import {
  admissionOrder,
  pickAdmissions,
  type QueueState,
  queueStates,
  type Room,
  type TenantRoom,
} from './queue-plan.ts';
import type { Database, Pipeline } from './schema.ts';
import { holdsSlot, waitsInQueue } from './sql.ts';
import { transactionBegunWith } from './tx.ts';

export interface AdmitOptions {
  limit: number;
  /** Global concurrency quota: pipelines Running or admitted-but-not-yet-running. */
  maxRunning?: number;
  /**
   * Per-tenant concurrency quota, counted the same way, for tenants without their own row in
   * tenant_quotas (a row's max_running overrides it). Undefined: only tenants with a row are capped.
   */
  tenantMaxRunning?: number;
  /** Per-tenant CPU (millicores) and memory (bytes) quotas for tenants without their own; undefined: none. */
  tenantMaxCpuMillis?: number | undefined;
  tenantMaxMemoryBytes?: number | undefined;
  /** Global CPU and memory quotas over every admitted, unfinished pipeline; undefined: none. */
  maxCpuMillis?: number | undefined;
  maxMemoryBytes?: number | undefined;
  /** Aging: a waiting pipeline's rank rises one level per this many seconds (see effectiveRank); 0 or undefined: none. */
  agingSeconds?: number | undefined;
  /** The clock aging reads; undefined: the database's now(). */
  now?: Date | undefined;
  /** Told how many tenants had pipelines waiting when the pass looked (0: the queue was empty). */
  onWaitingTenants?: ((count: number) => void) | undefined;
}

// Admission counts and admits atomically, or two admitters could both see room for the last slot
// (global or a tenant's); they serialise on this transaction-scoped advisory lock, taken in the
// BEGIN's own round trip (before the pass's first snapshot).
const QUOTA_LOCK = `select pg_advisory_xact_lock(hashtext('po.admission.quota'))`;
const UNCAPPED = 2_147_483_647;
const RANKS = [...new Set(Object.values(PRIORITY_RANK))].sort((a, b) => b - a);
const TOP_RANK = Math.max(...RANKS);

/**
 * Aging: a waiting pipeline's effective rank is its priority's rank plus one per `agingSeconds` it has
 * waited since it was queued, up to the top rank (Critical). Within an effective rank the oldest goes
 * first, so a pipeline that has waited (top − rank) × agingSeconds goes ahead of everything queued
 * after it: Low is never starved, while fresh High work still goes before fresh Low work.
 */
export function effectiveRank(agingSeconds: number | undefined, now: Date | undefined, alias = 'p') {
  const rank = sql.ref(`${alias}.priority_rank`);
  if (!agingSeconds || agingSeconds <= 0) return sql<number>`${rank}`;
  const at = now === undefined ? sql`now()` : sql`${now.toISOString()}::timestamptz`;
  // date_part is float8 (extract is numeric, several times slower over a deep queue).
  const waited = sql`greatest(0, date_part('epoch', ${at} - ${sql.ref(`${alias}.queued_at`)}))`;
  return sql<number>`least(${TOP_RANK}, ${rank} + floor(${waited} / ${agingSeconds}))::int`;
}

interface HeadRow {
  tenant_id: string;
  max_running: number;
  running: number;
  cpu_used: string;
  memory_used: string;
  max_cpu: string | null;
  max_memory: string | null;
  g_running: number;
  g_cpu: string;
  g_memory: string;
  id: string | null;
  attempt: number | null;
  eff: number | null;
  queued_us: string | null;
  cpu_millis: string | null;
  memory_bytes: string | null;
}

/**
 * What one pass needs to decide: every tenant with queued work (found by skipping through
 * pipelines_queue_by_tenant, one probe per tenant, not by scanning the queue), its usage and limits,
 * the global usage, and the head of its queue in admission order — at most its free slots (and the
 * batch and global room) + 1 rows. The head merges one index range per priority rank, so aging
 * costs no sort of the whole queue. Only what the decision can use leaves the database: the first
 * `limit` rows (in admission order) of those that fit their tenant's room (a top-N, no full sort),
 * and each tenant's first row beyond them (why it waits) — at most limit + tenants rows, however
 * many tenants. pickAdmissions decides again over these rows (each tenant's rows are a prefix of its
 * head, so it decides the same).
 */
function readHeads(trx: Kysely<Database>, opts: AdmitOptions, limit: number, maxRunning: number) {
  const n = sql`(case when r.max_running - r.running <= 0 or ${maxRunning} - t.running <= 0 then 0
      else least(r.max_running - r.running, ${limit}, ${maxRunning} - t.running) + 1 end)`;
  const eff = effectiveRank(opts.agingSeconds, opts.now);
  const cols = sql`p.id, p.attempt, ${eff} as eff, p.queued_at, p.cpu_millis, p.memory_bytes`;
  // Without aging the index order is admission order: one range per tenant. With it, one range per
  // priority rank (each in admission order within the rank), merged.
  const head = opts.agingSeconds
    ? sql`
      select x.* from unnest(${RANKS}::int[]) rk(rank)
      cross join lateral (
        select ${cols} from pipelines p
        where p.tenant_id = r.tenant_id and ${waitsInQueue} and p.priority_rank = rk.rank
        order by p.queued_at, p.id
        limit ${n}
      ) x
      order by x.eff desc, x.queued_at, x.id
      limit ${n}`
    : sql`
      select ${cols} from pipelines p
      where p.tenant_id = r.tenant_id and ${waitsInQueue}
      order by p.priority_rank desc, p.queued_at, p.id
      limit ${n}`;
  return sql<HeadRow>`
    with recursive waiting(tenant_id) as (
      (select tenant_id from pipelines where ${waitsInQueue} order by tenant_id limit 1)
      union all
      select (select p.tenant_id from pipelines p
              where ${waitsInQueue} and p.tenant_id > w.tenant_id
              order by p.tenant_id limit 1)
      from waiting w where w.tenant_id is not null
    ), held as (
      select tenant_id, count(*)::int as running, coalesce(sum(cpu_millis), 0)::bigint as cpu,
             coalesce(sum(memory_bytes), 0)::bigint as memory
      from pipelines where ${holdsSlot} group by tenant_id
    ), total as (
      select coalesce(sum(running), 0)::int as running, coalesce(sum(cpu), 0)::bigint as cpu,
             coalesce(sum(memory), 0)::bigint as memory
      from held
    ), room as (
      select w.tenant_id,
             coalesce(q.max_running, ${opts.tenantMaxRunning ?? UNCAPPED})::int as max_running,
             coalesce(h.running, 0)::int as running,
             coalesce(h.cpu, 0)::bigint as cpu_used,
             coalesce(h.memory, 0)::bigint as memory_used,
             coalesce(q.max_cpu_millis, ${opts.tenantMaxCpuMillis ?? null}::bigint) as max_cpu,
             coalesce(q.max_memory_bytes, ${opts.tenantMaxMemoryBytes ?? null}::bigint) as max_memory
      from waiting w
      left join tenant_quotas q on q.tenant_id = w.tenant_id
      left join held h on h.tenant_id = w.tenant_id
      where w.tenant_id is not null
    ), heads as materialized (
      -- Each tenant's head with its running count and sums (a window over at most n rows), and
      -- whether each row fits the tenant's room: a prefix of the head.
      select r.tenant_id, y.*,
             (y.k <= r.max_running - r.running
              and (r.max_cpu is null or r.cpu_used + y.cum_cpu <= r.max_cpu)
              and (r.max_memory is null or r.memory_used + y.cum_memory <= r.max_memory)) as fits
      from room r
      cross join total t
      cross join lateral (
        select x.*, row_number() over w as k, sum(x.cpu_millis) over w as cum_cpu,
               sum(x.memory_bytes) over w as cum_memory
        from (${head}) x
        window w as (order by x.eff desc, x.queued_at, x.id rows unbounded preceding)
      ) y
    ), top as (
      select id from heads where fits order by eff desc, queued_at, id limit ${limit}
    ), taken as (
      select h.tenant_id, count(*) as m from heads h join top using (id) group by h.tenant_id
    )
    select r.*, t.running as g_running, t.cpu as g_cpu, t.memory as g_memory,
           h.id, h.attempt, h.eff, (extract(epoch from h.queued_at) * 1000000)::bigint as queued_us,
           h.cpu_millis, h.memory_bytes
    from room r
    cross join total t
    left join taken tk on tk.tenant_id = r.tenant_id
    left join heads h on h.tenant_id = r.tenant_id and h.k <= coalesce(tk.m, 0) + 1
  `.execute(trx);
}

function toRooms(rows: HeadRow[]): { tenants: TenantRoom[]; global: Omit<Room, 'maxRunning'> } {
  const byTenant = new Map<string, TenantRoom>();
  for (const r of rows) {
    let t = byTenant.get(r.tenant_id);
    if (!t) {
      t = {
        tenantId: r.tenant_id,
        maxRunning: r.max_running,
        running: r.running,
        cpuMillis: Number(r.cpu_used),
        maxCpuMillis: r.max_cpu === null ? null : Number(r.max_cpu),
        memoryBytes: Number(r.memory_used),
        maxMemoryBytes: r.max_memory === null ? null : Number(r.max_memory),
        head: [],
      };
      byTenant.set(r.tenant_id, t);
    }
    if (r.id !== null)
      t.head.push({
        id: r.id,
        tenantId: r.tenant_id,
        effectiveRank: r.eff ?? 0,
        queuedUs: Number(r.queued_us),
        cpuMillis: Number(r.cpu_millis),
        memoryBytes: Number(r.memory_bytes),
      });
  }
  for (const t of byTenant.values()) t.head.sort(admissionOrder);
  const first = rows[0];
  return {
    tenants: [...byTenant.values()],
    global: {
      running: first?.g_running ?? 0,
      cpuMillis: Number(first?.g_cpu ?? 0),
      maxCpuMillis: null,
      memoryBytes: Number(first?.g_memory ?? 0),
      maxMemoryBytes: null,
    },
  };
}

/** One statement per pass: every tenant's state, whatever the length of its queue. */
async function recordQueueStates(trx: Kysely<Database>, states: QueueState[]): Promise<void> {
  if (states.length === 0) return;
  await sql`with ${upsertQueueStates(states)} select 1`.execute(trx);
}

/** A CTE `states` that upserts every tenant's queue state (written whatever else a pass does). */
function upsertQueueStates(states: QueueState[]) {
  const json = JSON.stringify(
    states.map((s) => ({ tenant_id: s.tenantId, reason: s.reason, message: s.message, details: s.details })),
  );
  return sql`states as (
    insert into queue_states (tenant_id, reason, message, details, checked_at)
    select x.tenant_id, x.reason, x.message, x.details, now()
    from jsonb_to_recordset(${json}::jsonb) as x(tenant_id text, reason text, message text, details jsonb)
    on conflict (tenant_id) do update
      set reason = excluded.reason, message = excluded.message, details = excluded.details,
          checked_at = excluded.checked_at
  )`;
}

/**
 * The scheduler's admission: oldest of the highest priority first, within the global and per-tenant
 * quotas. Rows a concurrent transition holds (a cancel, say) are skipped (SKIP LOCKED). Each admitted
 * attempt gets its attempts row, an 'admitted' event and a JobCreate command in the same transaction.
 */
export async function admitQueued(
  db: Kysely<Database>,
  subjects: Subjects,
  opts: AdmitOptions,
): Promise<Pipeline[]> {
  return transactionBegunWith(db, QUOTA_LOCK, async (trx) => {
    const maxRunning = opts.maxRunning ?? UNCAPPED;
    const { rows } = await readHeads(trx, opts, opts.limit, maxRunning);
    if (rows.length === 0) {
      opts.onWaitingTenants?.(0);
      return [];
    }
    const { tenants, global: used } = toRooms(rows);
    opts.onWaitingTenants?.(tenants.length);
    const global: Room = {
      ...used,
      maxRunning,
      maxCpuMillis: opts.maxCpuMillis ?? null,
      maxMemoryBytes: opts.maxMemoryBytes ?? null,
    };
    const picks = pickAdmissions(tenants, global, opts.limit);
    const states = queueStates(tenants, global, picks);
    if (picks.length === 0) {
      await recordQueueStates(trx, states);
      return [];
    }
    const attempts = new Map(rows.map((r) => [r.id, r.attempt]));
    const admitted = await admitAndAnnounce(
      trx,
      subjects,
      picks.map((r) => ({ id: r.id, attempt: attempts.get(r.id) ?? 0 })),
      states,
    );
    // A pick a concurrent transition held (skipped) was recorded as admitted: record the states again.
    if (admitted.length < picks.length) {
      const ids = new Set(admitted.map((p) => p.id));
      await recordQueueStates(
        trx,
        queueStates(
          tenants,
          global,
          picks.filter((r) => ids.has(r.id)),
        ),
      );
    }
    const order = new Map(picks.map((r, i) => [r.id, i]));
    admitted.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    return admitted;
  });
}

/**
 * One statement: marks the picks admitted — those still waiting at the attempt the pass read,
 * skipping rows a concurrent transition holds — and, for exactly those, inserts their attempt rows,
 * 'admitted' events and JobCreate commands, and writes every tenant's queue state. A batch mixes
 * pipelines, so the active span (if any) belongs to at most one of them: each command continues its
 * own pipeline's trace instead.
 */
async function admitAndAnnounce(
  trx: Kysely<Database>,
  subjects: Subjects,
  picks: { id: string; attempt: number }[],
  states: QueueState[],
): Promise<Pipeline[]> {
  const json = JSON.stringify(
    picks.map((p) => {
      const message = jobCreate(p);
      return { ...p, job_name: jobNameFor(p.id, p.attempt), msg_id: message.id, payload: message };
    }),
  );
  const { rows } = await sql<Pipeline>`
    with picks as (
      select * from jsonb_to_recordset(${json}::jsonb)
        as x(id uuid, attempt int, job_name text, msg_id text, payload jsonb)
    ), admitted as (
      update pipelines p set admitted_at = now(), updated_at = now()
      from (
        -- NO KEY UPDATE: see transition() (FK inserts elsewhere take KEY SHARE on these rows)
        select q.id from pipelines q join picks x on x.id = q.id and x.attempt = q.attempt
        where q.status = 'Queued' and q.admitted_at is null
        for no key update of q skip locked
      ) l
      where p.id = l.id
      returning p.*
    ), attempts as (
      insert into pipeline_attempts (pipeline_id, attempt, job_name, namespace)
      select a.id, a.attempt, x.job_name, a.namespace from admitted a join picks x on x.id = a.id
    ), events as (
      insert into pipeline_events (pipeline_id, attempt, kind, from_status, to_status, reason)
      select a.id, a.attempt, 'admitted', null, null, null from admitted a
    ), commands as (
      insert into outbox (msg_id, subject, payload, headers)
      select x.msg_id, ${subjects.jobCreate}, x.payload,
             case when a.traceparent is null then '{}'::jsonb
                  else jsonb_build_object('traceparent', a.traceparent) end
      from admitted a join picks x on x.id = a.id
      on conflict (msg_id) do nothing
    ), ${upsertQueueStates(states)}
    select * from admitted`.execute(trx);
  return rows;
}
