import { cpuMillis, isImageRule, memoryBytes } from '@po/contracts';
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parse the environment once, at start-up. Fails with every bad variable named, e.g.
 * `invalid configuration: DATABASE_URL: required; PORT: must be an integer`.
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const key = i.path.join('.') || '(root)';
    return `${key}: ${i.code === 'invalid_type' && env[key] === undefined ? 'required' : i.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Variables every service shares. */
export const commonEnv = {
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  /**
   * This service's own NATS identity (infra/nats/auth.conf: `<prefix>-<service>`): both or neither.
   * Without them the service connects anonymously, which only an unauthenticated server accepts.
   */
  NATS_USER: z.string().min(1).max(256).optional(),
  NATS_PASSWORD: z.string().min(1).max(1024).optional(),
  BUS_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,31}$/)
    .default('po'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /**
   * Set by a supervising parent (the dev command, tests) that holds the service's stdin: when stdin
   * closes — the parent is gone, even SIGKILLed — the service stops as on SIGTERM, so it never
   * outlives its supervisor.
   */
  STOP_WITH_PARENT: z.stringbool().default(false),
  /**
   * An id for this process that /health reports, so whoever started it (the dev command, tests) can
   * tell its own process from another one that happens to answer on the same port.
   */
  INSTANCE_ID: z.string().min(1).max(128).optional(),
};

export const kubeEnv = {
  KUBECONFIG: z.string().min(1).optional(),
  K8S_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .default('pipelines'),
};

export const opsPort = port;

/** An optional Kubernetes quantity in base units (millicores, bytes); empty or unset: no limit. */
const quantityEnv = (parse: (q: string) => number | null) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s.trim() === '') return undefined;
      const n = parse(s.trim());
      if (n === null) {
        ctx.addIssue({ code: 'custom', message: `'${s}' is not a Kubernetes quantity (e.g. 500m, 4, 16Gi)` });
        return z.NEVER;
      }
      return n;
    });

/**
 * Quotas and scheduling policy shared by the scheduler (which enforces them) and the gateway (which
 * refuses what could never fit and shows positions). Per-tenant defaults (a tenant's own, in
 * tenant_quotas, override them): TENANT_MAX_RUNNING pipelines Running or admitted at once;
 * TENANT_MAX_QUEUED pipelines waiting in the queue, beyond which the gateway refuses new ones with 429
 * ResourceQuotaExceeded; TENANT_MAX_CPU / TENANT_MAX_MEMORY (quantities; unset: no limit) the CPU and
 * memory requests of a tenant's admitted, unfinished pipelines together (parallelism counted).
 * SCHEDULER_MAX_CPU / SCHEDULER_MAX_MEMORY: the same over every tenant (unset: no limit).
 * SCHEDULER_AGING_SECONDS: a waiting pipeline's priority rises one level per this many seconds of
 * waiting, up to Critical (0: no aging).
 */
export const quotaEnv = {
  TENANT_MAX_RUNNING: z.coerce.number().int().min(0).default(20),
  TENANT_MAX_QUEUED: z.coerce.number().int().min(0).default(10_000),
  TENANT_MAX_CPU: quantityEnv(cpuMillis),
  TENANT_MAX_MEMORY: quantityEnv(memoryBytes),
  SCHEDULER_MAX_CPU: quantityEnv(cpuMillis),
  SCHEDULER_MAX_MEMORY: quantityEnv(memoryBytes),
  SCHEDULER_AGING_SECONDS: z.coerce.number().int().min(0).default(300),
};

const days = (fallback: number) => z.coerce.number().min(0).max(36_500).default(fallback);

/**
 * Retention (the scheduler's sweep), in days (fractions allowed; 0 keeps forever):
 * RETENTION_PIPELINES_DAYS finished pipelines with their attempts, events and logs (30);
 * RETENTION_LOGS_DAYS the logs alone of finished pipelines, sooner (0: they go with their pipeline);
 * RETENTION_OUTBOX_DAYS published outbox rows (7); RETENTION_AUDIT_DAYS audit rows (365).
 * RETENTION_SWEEP_INTERVAL_SECONDS between passes (300), RETENTION_BATCH rows per statement (100).
 */
export const retentionEnv = {
  RETENTION_PIPELINES_DAYS: days(30),
  RETENTION_LOGS_DAYS: days(0),
  RETENTION_OUTBOX_DAYS: days(7),
  RETENTION_AUDIT_DAYS: days(365),
  RETENTION_SWEEP_INTERVAL_SECONDS: z.coerce.number().min(0.05).max(86_400).default(300),
  RETENTION_BATCH: z.coerce.number().int().min(1).max(10_000).default(100),
};

/**
 * How long a dead letter is kept: the dead-letter stream's max age, set where streams are provisioned
 * (the dev command, the provisioning Job). Days; 0 keeps them forever.
 */
export const deadLetterEnv = { RETENTION_DEAD_LETTERS_DAYS: days(30) };

/** Days (fractions allowed) as whole seconds, at least 1 unless 0 (kept forever). */
export function daysToSeconds(d: number): number {
  return d === 0 ? 0 : Math.max(1, Math.round(d * 86_400));
}

/**
 * What a Job may ask for, shared by the gateway (which refuses a pipeline or template outside it with
 * a 400) and the job-runner (which checks again when it makes the Job).
 * JOB_IMAGE_ALLOW_LIST: comma-separated rules, each a whole repository (`registry.io/team/etl`: any
 * tag or digest of it), a repository with a tag or digest (`python:3.11-slim`: exactly that one), or a
 * namespace (`registry.io/team/*`); empty allows every image. JOB_MAX_PARALLELISM and
 * JOB_MAX_COMPLETIONS cap a template's `parallelism`/`completions` (default 1: one pod per Job).
 */
export const jobPolicyEnv = {
  JOB_IMAGE_ALLOW_LIST: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .refine((rules) => rules.every(isImageRule), {
      message:
        'each rule must be an image repository (optionally :tag or @digest) or a namespace ending in /*',
    }),
  JOB_MAX_PARALLELISM: z.coerce.number().int().min(1).max(1000).default(1),
  JOB_MAX_COMPLETIONS: z.coerce.number().int().min(1).max(1000).default(1),
};
