import { createRoute, z } from '@hono/zod-openapi';
import { type Database, getTenantQuota, recordAudit, setTenantQuota, tenantQuotaUsage } from '@po/db';
import type { Kysely } from 'kysely';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { auditTrail } from '../middleware/audit/index.ts';
import { requireRole } from '../middleware/auth/index.ts';
import type { QueueGuard } from '../service/queue-guard.ts';
import { errorResponses, jsonContent } from './schemas.ts';

/** The platform's quotas for a tenant without its own. */
export interface QuotaDefaults {
  maxRunning: number;
  maxQueued: number;
}

const TENANT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const Limit = z.number().int().min(0).max(10_000_000);

const QuotaView = z
  .object({
    tenant_id: z.string(),
    max_running: z.number().int().openapi({
      description: 'Pipelines of the tenant that may be Running (or starting) at once; more wait Queued',
    }),
    max_queued: z.number().int().openapi({
      description: 'Pipelines of the tenant that may wait Queued; beyond it POST /pipelines is 429',
    }),
    overrides: z
      .object({ max_running: z.number().int().nullable(), max_queued: z.number().int().nullable() })
      .openapi({ description: "The tenant's own quotas; null where the platform default applies" }),
    running: z.number().int(),
    queued: z.number().int(),
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
    return {
      tenant_id: tenantId,
      max_running: own.maxRunning ?? d.defaults.maxRunning,
      max_queued: own.maxQueued ?? d.defaults.maxQueued,
      overrides: { max_running: own.maxRunning, max_queued: own.maxQueued },
      ...usage,
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
      const quota = { maxRunning: body.max_running ?? null, maxQueued: body.max_queued ?? null };
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
