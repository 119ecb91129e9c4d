import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { holdsSlot, waitsInQueue } from './sql.ts';

/** A tenant's own quotas; null where the platform default applies. */
export interface TenantQuota {
  maxRunning: number | null;
  maxQueued: number | null;
}

export async function getTenantQuota(db: Kysely<Database>, tenantId: string): Promise<TenantQuota> {
  const row = await db
    .selectFrom('tenant_quotas')
    .select(['max_running', 'max_queued'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return { maxRunning: row?.max_running ?? null, maxQueued: row?.max_queued ?? null };
}

/** Sets a tenant's own quotas (replacing both); null returns that one to the platform default. */
export async function setTenantQuota(
  db: Kysely<Database>,
  tenantId: string,
  quota: TenantQuota,
): Promise<void> {
  if (quota.maxRunning === null && quota.maxQueued === null) {
    await db.deleteFrom('tenant_quotas').where('tenant_id', '=', tenantId).execute();
    return;
  }
  const values = { max_running: quota.maxRunning, max_queued: quota.maxQueued };
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
}

/** How much of its quota a tenant uses now, counted as admission counts it. */
export async function tenantQuotaUsage(db: Kysely<Database>, tenantId: string): Promise<TenantQuotaUsage> {
  const row = await db
    .selectFrom('pipelines')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere(holdsSlot).as('running'),
      eb.fn.countAll<string>().filterWhere(waitsInQueue).as('queued'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', ['Queued', 'Running'])
    .executeTakeFirstOrThrow();
  return { running: Number(row.running), queued: Number(row.queued) };
}
