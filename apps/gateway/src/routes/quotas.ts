import { createRoute, z } from '@hono/zod-openapi';
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from '@po/contracts';
import { type Database, getTenantQuota, recordAudit, setTenantQuota, tenantQuotaUsage } from '@po/db';
import type { Kysely } from 'kysely';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { auditTrail } from '../middleware/audit/index.ts';
import { requireRole } from '../middleware/auth/index.ts';
import type { QueueGuard } from '../service/queue-guard.ts';
import { errorResponses, jsonContent } from './schemas.ts';

/** The platform's quotas for a tenant without its own, and the scheduling policy the gateway shows. */
export interface QuotaDefaults {
  maxRunning: number;
  maxQueued: number;
  /** TENANT_MAX_CPU / TENANT_MAX_MEMORY in base units; undefined: no limit. */
  maxCpuMillis?: number | undefined;
  maxMemoryBytes?: number | undefined;
  /** SCHEDULER_AGING_SECONDS (queue positions follow the scheduler's order); undefined: no aging. */
  agingSeconds?: number | undefined;
}

const TENANT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const Limit = z.number().int().min(0).max(10_000_000);
/** Above this a quantity loses precision as a number: far beyond any cluster. */
const MAX_BASE_UNITS = Number.MAX_SAFE_INTEGER;
const quantity = (parse: (q: string) => number | null, example: string) =>
  z
    .string()
    .max(32)
    .refine((q) => {
      const n = parse(q);
      return n !== null && n <= MAX_BASE_UNITS;
    }, `must be a Kubernetes quantity such as ${example}`);

const QuotaView = z
  .object({
    tenant_id: z.string(),
    max_running: z.number().int().openapi({
      description: 'Pipelines of the tenant that may be Running (or starting) at once; more wait Queued',
    }),
    max_queued: z.number().int().openapi({
      description: 'Pipelines of the tenant that may wait Queued; beyond it POST /pipelines is 429',
    }),
    max_cpu: z.string().nullable().openapi({
      description:
        "CPU requests (parallelism counted) of the tenant's admitted, unfinished pipelines together; null: no limit",
      example: '4',
    }),
    max_memory: z
      .string()
      .nullable()
      .openapi({ description: 'Memory requests, counted the same way; null: no limit', example: '16Gi' }),
    max_cpu_millis: z.number().int().nullable(),
    max_memory_bytes: z.number().int().nullable(),
    overrides: z
      .object({
        max_running: z.number().int().nullable(),
        max_queued: z.number().int().nullable(),
        max_cpu: z.string().nullable(),
        max_memory: z.string().nullable(),
      })
      .openapi({ description: "The tenant's own quotas; null where the platform default applies" }),
    running: z.number().int(),
    queued: z.number().int(),
    cpu_requested: z.string().openapi({ description: 'CPU requested by its admitted, unfinished pipelines' }),
    memory_requested: z.string(),
    cpu_millis: z.number().int(),
    memory_bytes: z.number().int(),
  })
  .openapi('TenantQuota');

const TenantParam = z.object({
  tenant: z
    .string()
    .min(1)
    .max(63)
    .regex(TENANT)
    .openapi({ param: { name: 'tenant', in: 'path' }, example: 'acme' }),
});

const SetQuotaBody = z
  .strictObject({
    max_running: Limit.nullable()
      .optional()
      .openapi({ description: '0 pauses the tenant; null or absent: the platform default' }),
    max_queued: Limit.nullable()
      .optional()
      .openapi({ description: '0 refuses new pipelines; null or absent: the platform default' }),
    max_cpu: quantity(cpuMillis, '500m or 4').nullable().optional().openapi({
      description:
        'CPU quota (a Kubernetes quantity) over the requests of admitted, unfinished pipelines, parallelism counted; null or absent: the platform default (TENANT_MAX_CPU)',
      example: '4',
    }),
    max_memory: quantity(memoryBytes, '16Gi').nullable().optional().openapi({
      description:
        'Memory quota, counted the same way; null or absent: the platform default (TENANT_MAX_MEMORY)',
      example: '16Gi',
    }),
  })
  .openapi('SetTenantQuota');

export function registerQuotaRoutes(
  app: App,
  d: { db: Kysely<Database>; defaults: QuotaDefaults; queueGuard: QueueGuard },
): void {
  const view = async (tenantId: string): Promise<z.infer<typeof QuotaView>> => {
    const [own, usage] = await Promise.all([
      getTenantQuota(d.db, tenantId),
      tenantQuotaUsage(d.db, tenantId),
    ]);
    const ownCpu = own.maxCpu ?? null;
    const ownMemory = own.maxMemory ?? null;
    const maxCpuMillis = ownCpu !== null ? cpuMillis(ownCpu) : (d.defaults.maxCpuMillis ?? null);
    const maxMemoryBytes = ownMemory !== null ? memoryBytes(ownMemory) : (d.defaults.maxMemoryBytes ?? null);
    return {
      tenant_id: tenantId,
      max_running: own.maxRunning ?? d.defaults.maxRunning,
      max_queued: own.maxQueued ?? d.defaults.maxQueued,
      max_cpu: ownCpu ?? (maxCpuMillis === null ? null : formatCpu(maxCpuMillis)),
      max_memory: ownMemory ?? (maxMemoryBytes === null ? null : formatMemory(maxMemoryBytes)),
      max_cpu_millis: maxCpuMillis,
      max_memory_bytes: maxMemoryBytes,
      overrides: {
        max_running: own.maxRunning,
        max_queued: own.maxQueued,
        max_cpu: ownCpu,
        max_memory: ownMemory,
      },
      running: usage.running,
      queued: usage.queued,
      cpu_requested: formatCpu(usage.cpuMillis),
      memory_requested: formatMemory(usage.memoryBytes),
      cpu_millis: usage.cpuMillis,
      memory_bytes: usage.memoryBytes,
    };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/quota',
      tags: ['quotas'],
      summary: "The caller's tenant quotas and how much of them is in use",
      security: [{ Bearer: [] }],
      responses: { 200: jsonContent(QuotaView, 'Quota'), ...errorResponses(401) },
    }),
    async (c) => c.json(await view(requireRole(c, 'viewer').tenantId), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/quotas/{tenant}',
      tags: ['quotas'],
      summary: "Replace a tenant's own quotas (the operator: an admin of tenant 'default')",
      security: [{ Bearer: [] }],
      request: {
        params: TenantParam,
        body: { content: { 'application/json': { schema: SetQuotaBody } }, required: true },
      },
      responses: { 200: jsonContent(QuotaView, 'Quota'), ...errorResponses(400, 401, 403, 413, 415) },
    }),
    async (c) => {
      const p = requireRole(c, 'admin');
      const { tenant } = c.req.valid('param');
      const body = c.req.valid('json');
      const quota = {
        maxRunning: body.max_running ?? null,
        maxQueued: body.max_queued ?? null,
        maxCpu: body.max_cpu ?? null,
        maxMemory: body.max_memory ?? null,
      };
      c.set('audit', { action: 'quota.set', target: tenant, details: body });
      if (p.tenantId !== 'default')
        throw errors.forbidden("only the operator (tenant 'default') sets quotas");
      const trail = auditTrail(c);
      await d.db.transaction().execute(async (trx) => {
        await setTenantQuota(trx, tenant, quota);
        await recordAudit(trx, trail.entry(200));
      });
      trail.committed();
      d.queueGuard.forget(tenant);
      return c.json(await view(tenant), 200);
    },
  );
}
