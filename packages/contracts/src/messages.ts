/**
 * Every bus message is an envelope `{ id, type, version, occurredAt, pipelineId, attempt, data }`,
 * validated with zod on both ends. `id` is also the `Nats-Msg-Id`.
 */
import { z } from 'zod';
import { PipelineStatus, Priority } from './api.ts';

const envelope = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    id: z.string().min(1),
    type: z.literal(type),
    version: z.literal(1),
    occurredAt: z.iso.datetime({ offset: true }),
    pipelineId: z.uuid(),
    attempt: z.number().int().min(0),
    data,
  });

/** A pipeline entered Queued (new, retried or restarted): wakes the scheduler. */
export const PipelineQueued = envelope('pipeline.queued', z.object({ priority: Priority }));
export type PipelineQueued = z.infer<typeof PipelineQueued>;

/**
 * The scheduler admitted an attempt: create its Job. Ids only (invariant 10): the job-runner reads
 * the admitted attempt's rendered Job from the database; anything else a message carries is ignored
 * (unknown fields are stripped, so messages of older versions still parse).
 */
export const JobCreate = envelope('job.create', z.object({}));
export type JobCreate = z.infer<typeof JobCreate>;

/**
 * Logs are stored (or given up on): delete the Job and its pods. The job-runner deletes only the
 * Job named by (pipelineId, attempt) in its own namespace, and only when the database says the step
 * is due; `jobName`/`namespace` are informational (for logs) and never obeyed.
 */
export const JobDelete = envelope(
  'job.delete',
  z.object({ jobName: z.string().optional(), namespace: z.string().optional(), reason: z.string() }),
);
export type JobDelete = z.infer<typeof JobDelete>;

/** An attempt ended (any terminal status, or a retry): capture its logs, then clean up. */
export const PipelineFinished = envelope(
  'pipeline.finished',
  z.object({
    status: PipelineStatus,
    jobName: z.string(),
    namespace: z.string(),
    reason: z.string().nullable(),
    /** For the consumers' logs only (absent in messages of older versions). */
    tenantId: z.string().optional(),
  }),
);
export type PipelineFinished = z.infer<typeof PipelineFinished>;

/** Every transition, for subscribers of one pipeline's status subject. */
export const PipelineStatusChanged = envelope(
  'pipeline.status',
  z.object({ from: PipelineStatus.nullable(), to: PipelineStatus, reason: z.string().nullable() }),
);
export type PipelineStatusChanged = z.infer<typeof PipelineStatusChanged>;

export const JobCommand = z.discriminatedUnion('type', [JobCreate, JobDelete]);
export type JobCommand = z.infer<typeof JobCommand>;

export const BusMessage = z.discriminatedUnion('type', [
  PipelineQueued,
  JobCreate,
  JobDelete,
  PipelineFinished,
  PipelineStatusChanged,
]);
export type BusMessage = z.infer<typeof BusMessage>;
export type BusMessageType = BusMessage['type'];
