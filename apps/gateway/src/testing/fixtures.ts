import { jobNameFor } from '@po/contracts';
import { appendLogs, type Database, transition } from '@po/db';
import type { Kysely } from 'kysely';
import type { AppDeps } from '../app.ts';

export const dataProcessing = {
  pipeline_type: 'DataProcessing',
  config: { input_path: '/in', output_path: '/out' },
  priority: 'Normal',
};

/** What the scheduler and watcher would do: admit attempt 1 and move it to Running. */
export async function startRunning(deps: AppDeps, id: string): Promise<void> {
  const p = await deps.db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  await deps.db
    .insertInto('pipeline_attempts')
    .values({
      pipeline_id: id,
      attempt: p.attempt,
      job_name: jobNameFor(id, p.attempt),
      namespace: p.namespace,
    })
    .execute();
  await deps.db.updateTable('pipelines').set({ admitted_at: new Date() }).where('id', '=', id).execute();
  const r = await transition(deps.db, deps.subjects, {
    pipelineId: id,
    to: 'Running',
    reason: 'pod started',
  });
  if (!r.ok) throw new Error(`could not start ${id}`);
}

/** What the log-collector does. */
export async function storeLines(
  db: Kysely<Database>,
  id: string,
  lines: string[],
  opts: { attempt?: number; pod?: string; capBytes?: number; at?: Date } = {},
): Promise<void> {
  const at = opts.at ?? new Date('2026-01-01T00:00:00Z');
  await appendLogs(db, {
    pipelineId: id,
    attempt: opts.attempt ?? 1,
    podName: opts.pod ?? `${jobNameFor(id, opts.attempt ?? 1)}-abcde`,
    lines: lines.map((line, i) => ({ ts: new Date(at.getTime() + i * 1000), line })),
    capBytes: opts.capBytes ?? 1_000_000,
  });
}

export async function finish(deps: AppDeps, id: string, to: 'Succeeded' | 'Failed'): Promise<void> {
  const r = await transition(deps.db, deps.subjects, { pipelineId: id, to, reason: 'job finished' });
  if (!r.ok) throw new Error(`could not finish ${id}`);
  await deps.db
    .updateTable('pipeline_attempts')
    .set({ logs_captured_at: new Date() })
    .where('pipeline_id', '=', id)
    .execute();
}
