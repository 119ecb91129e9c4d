import { cpuMillis, memoryBytes } from '@po/contracts';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { holdsSlot, waitsInQueue } from './sql.ts';

/** A tenant's own quotas; null where the platform default applies. */
export interface TenantQuota {
  maxRunning: number | null;
  maxQueued: number | null;
  /** CPU and memory (Kubernetes quantities, e.g. `4`, `16Gi`) of admitted, unfinished pipelines together. */
  maxCpu?: string | null;
  maxMemory?: string | null;
}

export async function getTenantQuota(db: Kysely<Database>, tenantId: string): Promise<TenantQuota> {
  const row = await db
    .selectFrom('tenant_quotas')
    .select(['max_running', 'max_queued', 'max_cpu', 'max_memory'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return {
    maxRunning: row?.max_running ?? null,
    maxQueued: row?.max_queued ?? null,
    maxCpu: row?.max_cpu ?? null,
    maxMemory: row?.max_memory ?? null,
  };
}

function quantity(q: string | null | undefined, parse: (q: string) => number | null, what: string) {
  if (q === null || q === undefined) return null;
  const n = parse(q);
  if (n === null) throw new Error(`${what}: '${q}' is not a Kubernetes quantity`);
  return n;
}

/** Sets a tenant's own quotas (replacing all); null returns that one to the platform default. */
export async function setTenantQuota(
  db: Kysely<Database>,
  tenantId: string,
  quota: TenantQuota,
): Promise<void> {
  const maxCpu = quota.maxCpu ?? null;
  const maxMemory = quota.maxMemory ?? null;
  if (quota.maxRunning === null && quota.maxQueued === null && maxCpu === null && maxMemory === null) {
    await db.deleteFrom('tenant_quotas').where('tenant_id', '=', tenantId).execute();
    return;
  }
  const values = {
    max_running: quota.maxRunning,
    max_queued: quota.maxQueued,
    max_cpu: maxCpu,
    max_cpu_millis: quantity(maxCpu, cpuMillis, 'max_cpu'),
    max_memory: maxMemory,
    max_memory_bytes: quantity(maxMemory, memoryBytes, 'max_memory'),
  };
  await db
    .insertInto('tenant_quotas')
    .values({ tenant_id: tenantId, ...values })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
}

export interface TenantQuotaUsage {
  /** Pipelines Running or admitted (their Job being created). */
  running: number;
  /** Pipelines waiting in the queue. */
  queued: number;
  /** CPU (millicores) and memory (bytes) requested by the pipelines holding a slot. */
  cpuMillis: number;
  memoryBytes: number;
}

/** How much of its quota a tenant uses now, counted as admission counts it. */
export async function tenantQuotaUsage(db: Kysely<Database>, tenantId: string): Promise<TenantQuotaUsage> {
  const row = await db
    .selectFrom('pipelines')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere(holdsSlot).as('running'),
      eb.fn.countAll<string>().filterWhere(waitsInQueue).as('queued'),
      eb.fn.sum<string | null>('cpu_millis').filterWhere(holdsSlot).as('cpu'),
      eb.fn.sum<string | null>('memory_bytes').filterWhere(holdsSlot).as('memory'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', ['Queued', 'Running'])
    .executeTakeFirstOrThrow();
  return {
    running: Number(row.running),
    queued: Number(row.queued),
    cpuMillis: Number(row.cpu ?? 0),
    memoryBytes: Number(row.memory ?? 0),
  };
}
