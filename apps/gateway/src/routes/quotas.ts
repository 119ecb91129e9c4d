import { createRoute, z } from '@hono/zod-openapi';
import { type Database, getTenantQuota, setTenantQuota, tenantQuotaUsage } from '@po/db';
import type { Kysely } from 'kysely';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { errorResponses, jsonContent } from './schemas.ts';

const TENANT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const QuotaView = z
  .object({
    tenant_id: z.string(),
    max_running: z.number().int().openapi({
      description: 'Pipelines of the tenant that may be Running (or starting) at once; more wait Queued',
    }),
    source: z
      .enum(['tenant', 'default'])
      .openapi({ description: "the tenant's own quota or the platform default" }),
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

const SetQuotaBody = z.strictObject({
  max_running: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .nullable()
    .openapi({ description: '0 pauses the tenant; null returns it to the platform default' }),
});

export function registerQuotaRoutes(app: App, d: { db: Kysely<Database>; defaultMaxRunning: number }): void {
  const view = async (tenantId: string): Promise<z.infer<typeof QuotaView>> => {
    const [own, usage] = await Promise.all([
      getTenantQuota(d.db, tenantId),
      tenantQuotaUsage(d.db, tenantId),
    ]);
    return {
      tenant_id: tenantId,
      max_running: own ?? d.defaultMaxRunning,
      source: own === null ? 'default' : 'tenant',
      ...usage,
    };
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/quota',
      tags: ['quotas'],
      summary: "The caller's tenant quota and how much of it is in use",
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
      summary: "Set a tenant's concurrency quota (the operator: an admin of tenant 'default')",
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
      const { max_running } = c.req.valid('json');
      c.set('audit', { action: 'quota.set', target: tenant, details: { max_running } });
      if (p.tenantId !== 'default')
        throw errors.forbidden("only the operator (tenant 'default') sets quotas");
      await setTenantQuota(d.db, tenant, max_running);
      return c.json(await view(tenant), 200);
    },
  );
}
