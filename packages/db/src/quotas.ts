import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { holdsSlot, waitsInQueue } from './sql.ts';

/** A tenant's own concurrency quota, or null when the platform default applies. */
export async function getTenantQuota(db: Kysely<Database>, tenantId: string): Promise<number | null> {
  const row = await db
    .selectFrom('tenant_quotas')
    .select('max_running')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row?.max_running ?? null;
}

/** Sets a tenant's concurrency quota; null removes it (the platform default applies again). */
export async function setTenantQuota(
  db: Kysely<Database>,
  tenantId: string,
  maxRunning: number | null,
): Promise<void> {
  if (maxRunning === null) {
    await db.deleteFrom('tenant_quotas').where('tenant_id', '=', tenantId).execute();
    return;
  }
  await db
    .insertInto('tenant_quotas')
    .values({ tenant_id: tenantId, max_running: maxRunning })
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({ max_running: maxRunning, updated_at: new Date() }),
    )
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
