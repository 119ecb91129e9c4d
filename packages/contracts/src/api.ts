/**
 * The public HTTP contract, spelled exactly as the seed's serde types serialise:
 * externally tagged enums, snake_case fields.
 */
import { z } from 'zod';
import { safeJson } from './text.ts';

export const BUILTIN_PIPELINE_TYPES = ['DataProcessing', 'ModelTraining', 'ETL', 'Backup'] as const;
export type BuiltinPipelineType = (typeof BUILTIN_PIPELINE_TYPES)[number];

/** Template names are DNS-1123 labels so they can travel as Kubernetes label values. */
export const TemplateName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS-1123 label (a-z, 0-9, -)');

export const PipelineType = z.union(
  [z.enum(BUILTIN_PIPELINE_TYPES), z.strictObject({ Custom: z.strictObject({ template: TemplateName }) })],
  {
    error: `must be one of ${BUILTIN_PIPELINE_TYPES.map((t) => `"${t}"`).join(', ')} or {"Custom":{"template":"<name>"}} with a lowercase DNS-1123 template name`,
  },
);
export type PipelineType = z.infer<typeof PipelineType>;

const BUILTIN_TEMPLATES: Record<BuiltinPipelineType, string> = {
  DataProcessing: 'data-processing',
  ModelTraining: 'model-training',
  ETL: 'etl',
  Backup: 'backup',
};

/** The template a pipeline type runs: built-ins map to fixed names, `Custom` names its own. */
export function templateNameOf(type: PipelineType): string {
  return typeof type === 'string' ? BUILTIN_TEMPLATES[type] : type.Custom.template;
}

export const PRIORITIES = ['Low', 'Normal', 'High', 'Critical'] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;

/** Higher runs first. */
export const PRIORITY_RANK: Record<Priority, number> = { Low: 0, Normal: 1, High: 2, Critical: 3 };

export const PIPELINE_STATUSES = [
  'Queued',
  'Running',
  'Succeeded',
  'Failed',
  'Timeout',
  'Cancelled',
] as const;
export const PipelineStatus = z.enum(PIPELINE_STATUSES);
export type PipelineStatus = z.infer<typeof PipelineStatus>;

export const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
export const DEFAULT_TIMEOUT_SECONDS = 3600;

/**
 * A caller's idempotency key (HTTP `Idempotency-Key`, NATS `Nats-Msg-Id` or `idempotency_key`):
 * printable ASCII, so it is stored, logged and echoed as sent.
 */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const CreatePipelineRequest = z.strictObject({
  pipeline_type: PipelineType,
  // No NUL, lone surrogate or control character anywhere (Postgres refuses the first two).
  config: z.record(z.string(), z.unknown()).superRefine(safeJson('data')),
  priority: Priority,
  timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).nullish(),
});
export type CreatePipelineRequest = z.infer<typeof CreatePipelineRequest>;

export const PipelineResponse = z.object({
  id: z.uuid(),
  job_name: z.string(),
  status: PipelineStatus,
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
  config: z.record(z.string(), z.unknown()),
  // Additions to the seed's shape (clients that ignore unknown fields are unaffected).
  pipeline_type: PipelineType,
  priority: Priority,
  timeout_seconds: z.number().int(),
  reason: z.string().nullable(),
  attempt: z.number().int(),
});
export type PipelineResponse = z.infer<typeof PipelineResponse>;

export const ERROR_TYPES = [
  'NotFound',
  'InvalidConfig',
  'InvalidState',
  'ResourceQuotaExceeded',
  'Timeout',
  'TemplateError',
  'Unauthorized',
  'Forbidden',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'Internal',
] as const;
export const ErrorType = z.enum(ERROR_TYPES);
export type ErrorType = z.infer<typeof ErrorType>;

export const HTTP_STATUS_OF: Record<ErrorType, number> = {
  NotFound: 404,
  InvalidConfig: 400,
  InvalidState: 409,
  ResourceQuotaExceeded: 429,
  Timeout: 408,
  TemplateError: 400,
  Unauthorized: 401,
  Forbidden: 403,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  Internal: 500,
};

/** The seed's error body. */
export const ErrorBody = z.object({ error: z.string(), type: ErrorType });
export type ErrorBody = z.infer<typeof ErrorBody>;
