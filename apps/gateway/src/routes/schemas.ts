/** OpenAPI-visible schemas: the contracts' zod types plus the gateway's own response shapes. */
import { z } from '@hono/zod-openapi';
import { ErrorBody, PipelineResponse, PipelineStatus, QUEUE_REASONS, safeText } from '@po/contracts';

// Schemas built by @po/contracts may predate the openapi extension, so name fresh copies.
export const ErrorSchema = ErrorBody.extend({}).openapi('Error');

export const QueueInfo = z
  .object({
    reason: z.enum(QUEUE_REASONS).openapi({
      description:
        'Why it waits: Queued (next in line, or not looked at yet), TenantPaused (max_running 0), ' +
        'TenantConcurrencyQuota (max_running pipelines running), TenantResourceQuota (CPU or memory ' +
        "quota: the tenant's next pipeline does not fit), GlobalQuota (SCHEDULER_MAX_RUNNING, " +
        'SCHEDULER_MAX_CPU or SCHEDULER_MAX_MEMORY reached), WaitingForKubernetes (admitted: its Job ' +
        'is being created or its pod started; if it lasts, the Kubernetes API is failing or refusing, or the cluster has no room)',
    }),
    message: z.string().openapi({ example: 'tenant acme has 20/20 pipelines running' }),
    details: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).openapi({
      description:
        "The numbers behind it, as of checked_at: the tenant's running / max_running, cpu_millis / " +
        "max_cpu_millis, memory_bytes / max_memory_bytes in use, the next pipeline's requests " +
        '(next_cpu_millis, next_memory_bytes), global_running / global_max_running; null: no limit',
    }),
    position: z
      .object({
        tenant: z
          .number()
          .int()
          .openapi({ description: "1-based place in its tenant's queue (1: admitted next)" }),
        overall: z.number().int().openapi({ description: 'Its place among every queued pipeline' }),
      })
      .nullable()
      .openapi({
        description: 'Admission order (priority raised by aging, then oldest); null once admitted',
      }),
    checked_at: z
      .string()
      .nullable()
      .openapi({ description: 'The scheduler pass that recorded the reason (null: none has looked yet)' }),
  })
  .openapi('QueueInfo');

const queueField = QueueInfo.nullable()
  .optional()
  .openapi({ description: 'Why and where a Queued pipeline waits (GET and list); null when not Queued' });

export const Pipeline = PipelineResponse.extend({ queue: queueField }).openapi('Pipeline');

const isoOrNull = z.string().nullable();

export const Attempt = z
  .object({
    attempt: z.number().int(),
    job_name: z.string(),
    namespace: z.string(),
    status: PipelineStatus.nullable(),
    admitted_at: isoOrNull,
    job_created_at: isoOrNull,
    started_at: isoOrNull,
    finished_at: isoOrNull,
    exit_code: z.number().int().nullable(),
    reason: z.string().nullable(),
    logs_captured_at: isoOrNull,
    logs_bytes: z.number().int(),
    logs_truncated: z.boolean(),
    job_deleted_at: isoOrNull,
  })
  .openapi('Attempt');

export const PipelineDetail = PipelineResponse.extend({
  queue: queueField,
  trace_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable()
    .openapi({
      description: "The pipeline's trace (W3C trace id, 32 hex): every step of its lifecycle is in it.",
    }),
  trace_url: z.string().optional().openapi({
    description:
      'Opens the trace in the trace UI: TRACE_UI_URL + /trace/ + trace_id; only when TRACE_UI_URL is set.',
  }),
  template: z.string(),
  template_version: z.number().int(),
  namespace: z.string(),
  max_attempts: z.number().int(),
  attempts: z.array(Attempt),
  timing: z.object({
    created_at: z.string(),
    queued_at: isoOrNull,
    admitted_at: isoOrNull,
    started_at: isoOrNull,
    finished_at: isoOrNull,
    queue_seconds: z.number().nullable(),
    run_seconds: z.number().nullable(),
    total_seconds: z.number().nullable(),
  }),
}).openapi('PipelineDetail');

export const Event = z
  .object({
    id: z.number().int(),
    attempt: z.number().int(),
    kind: z.string(),
    from: PipelineStatus.nullable(),
    to: PipelineStatus.nullable(),
    reason: z.string().nullable(),
    at: z.string(),
  })
  .openapi('PipelineEvent');

export const LogLine = z
  .object({
    attempt: z.number().int(),
    pod: z.string(),
    ts: z.string().nullable(),
    line: z.string(),
    /** Present on the marker line the log-collector stores where the size cap cut the logs. */
    truncated: z.boolean().optional(),
  })
  .openapi('LogLine');

export const Logs = z
  .object({
    pipeline_id: z.string(),
    status: PipelineStatus,
    attempt: z.number().int(),
    truncated: z.boolean(),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        job_name: z.string(),
        truncated: z.boolean(),
        logs_bytes: z.number().int(),
        captured: z.boolean().openapi({
          description:
            "The attempt's final capture is stored: its lines are complete. The terminal status is recorded " +
            'first and the capture right after it, so a read just after a pipeline ends may say false',
        }),
        pods: z.array(z.string()),
      }),
    ),
    lines: z.array(LogLine),
  })
  .openapi('PipelineLogs');

export const TemplateView = z
  .object({
    name: z.string(),
    version: z.number().int(),
    builtin: z.boolean(),
    description: z.string(),
    image: z.string(),
    config_schema: z.record(z.string(), z.unknown()),
    defaults: z.record(z.string(), z.unknown()),
    default_timeout_seconds: z.number().int(),
    resources: z.record(z.string(), z.string()),
  })
  .openapi('Template');

export const TemplateVersionView = TemplateView.extend({
  created_at: z
    .string()
    .nullable()
    .openapi({ description: 'When this version was registered (null: built-in)' }),
  retired_at: z.string().nullable().openapi({
    description: 'When the template was retired (DELETE); null while it is current or older but live',
  }),
}).openapi('TemplateVersion');

export const IdParam = z.object({
  id: z
    .string()
    .max(200)
    .superRefine(safeText('name'))
    .openapi({ param: { name: 'id', in: 'path' }, example: '3f0c1a4e-2b7d-4c38-9a51-0e6f2d8b7c11' }),
});
export const NameParam = z.object({
  name: z
    .string()
    .max(200)
    .superRefine(safeText('name'))
    .openapi({ param: { name: 'name', in: 'path' }, example: 'data-processing' }),
});

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      code,
      {
        content: { 'application/json': { schema: ErrorSchema } },
        description: ERROR_DESCRIPTION[code] ?? 'error',
      },
    ]),
  );

const ERROR_DESCRIPTION: Record<number, string> = {
  400: 'InvalidConfig / TemplateError: the message names the field and why',
  401: 'Unauthorized: missing or invalid API key',
  403: 'Forbidden: the key role may not do this',
  404: 'NotFound',
  409: 'InvalidState',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'ResourceQuotaExceeded (Retry-After)',
};

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
