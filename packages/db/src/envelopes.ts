/** Builders for the messages the database layer derives; ids are deterministic per cause. */
import type {
  JobCreate,
  JobDelete,
  PipelineFinished,
  PipelineQueued,
  PipelineStatus,
  PipelineStatusChanged,
} from '@po/contracts';
import { jobNameFor } from '@po/contracts';
import type { Pipeline } from './schema.ts';

const base = (pipelineId: string, attempt: number, suffix: string) => ({
  id: `${pipelineId}:${attempt}:${suffix}`,
  version: 1 as const,
  occurredAt: new Date().toISOString(),
  pipelineId,
  attempt,
});

export function statusChanged(
  p: Pick<Pipeline, 'id' | 'attempt' | 'status'>,
  from: PipelineStatus | null,
  reason: string | null,
): PipelineStatusChanged {
  return {
    ...base(p.id, p.attempt, `${p.status}:status`),
    type: 'pipeline.status',
    data: { from, to: p.status, reason },
  };
}

export function queued(p: Pick<Pipeline, 'id' | 'attempt' | 'priority'>): PipelineQueued {
  return { ...base(p.id, p.attempt, 'queued'), type: 'pipeline.queued', data: { priority: p.priority } };
}

export function finished(
  p: Pipeline,
  attempt: number,
  status: PipelineStatus,
  reason: string | null,
): PipelineFinished {
  return {
    ...base(p.id, attempt, 'finished'),
    type: 'pipeline.finished',
    data: {
      status,
      jobName: jobNameFor(p.id, attempt),
      namespace: p.namespace,
      reason,
      tenantId: p.tenant_id,
    },
  };
}

export function jobCreate(p: Pick<Pipeline, 'id' | 'attempt'>): JobCreate {
  return {
    ...base(p.id, p.attempt, 'create'),
    type: 'job.create',
    data: {},
  };
}

export function jobDelete(
  pipelineId: string,
  attempt: number,
  data: { jobName: string; namespace: string; reason: string },
): JobDelete {
  return { ...base(pipelineId, attempt, 'delete'), type: 'job.delete', data };
}
