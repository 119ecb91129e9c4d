import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.ts';
import { waitsInQueue } from './sql.ts';

export interface QueueDepth {
  priority: string;
  tenant: string;
  count: number;
}

/**
 * Pipelines waiting for admission, by priority and tenant: one grouped read over the queue index,
 * run when metrics are scraped (not per pipeline).
 */
export async function queueDepth(db: Kysely<Database>): Promise<QueueDepth[]> {
  const rows = await db
    .selectFrom('pipelines')
    .select(['priority', 'tenant_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where(waitsInQueue)
    .groupBy(['priority', 'tenant_id'])
    .execute();
  return rows.map((r) => ({ priority: r.priority, tenant: r.tenant_id, count: Number(r.n) }));
}

/** Age in seconds of the oldest outbox row not yet published (0 when none waits): the relay's lag. */
export async function outboxLagSeconds(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select(sql<string>`extract(epoch from now() - created_at)`.as('age'))
    .where('published_at', 'is', null)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row ? Math.max(0, Number(row.age)) : 0;
}
