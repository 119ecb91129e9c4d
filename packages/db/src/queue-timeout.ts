import type { Subjects } from '@po/contracts';
import { type Kysely, sql } from 'kysely';
import type { Database, Pipeline } from './schema.ts';
import { waitsInQueue } from './sql.ts';
import { transition } from './transition.ts';

export interface ExpireQueuedOptions {
  /** A pipeline not admitted this many seconds after it was queued ends Timeout. */
  maxWaitSeconds: number;
  limit: number;
}

/** The reason a pipeline that waited too long in the queue ends with. */
export function queueTimeoutReason(maxWaitSeconds: number): string {
  return `QueueTimeout: not admitted within ${maxWaitSeconds} s`;
}

/**
 * Ends Timeout every pipeline whose current attempt has waited in the queue (Queued, not admitted)
 * longer than maxWaitSeconds, oldest first, each through transition() (event, status notification).
 * A pipeline admitted or cancelled meanwhile is left alone. Returns the pipelines it ended.
 */
export async function expireQueued(
  db: Kysely<Database>,
  subjects: Subjects,
  opts: ExpireQueuedOptions,
): Promise<Pipeline[]> {
  const stale = await db
    .selectFrom('pipelines')
    .select(['id', 'attempt'])
    .where(waitsInQueue)
    .where('queued_at', '<', sql<Date>`now() - make_interval(secs => ${opts.maxWaitSeconds})`)
    .orderBy('queued_at')
    .limit(opts.limit)
    .execute();
  const reason = queueTimeoutReason(opts.maxWaitSeconds);
  const ended: Pipeline[] = [];
  for (const p of stale) {
    const r = await transition(db, subjects, {
      pipelineId: p.id,
      attempt: p.attempt,
      to: 'Timeout',
      reason,
      unadmitted: true,
    });
    if (r.ok) ended.push(r.pipeline);
  }
  return ended;
}
