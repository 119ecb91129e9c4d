import { createRoute, z } from '@hono/zod-openapi';
import { safeText } from '@po/contracts';
import { type Database, recordAudit } from '@po/db';
import type { Kysely } from 'kysely';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { auditTrail } from '../middleware/audit/index.ts';
import { createApiKey, type KeyResolver, requireRole } from '../middleware/auth/index.ts';
import { isUuid } from '../store/pipelines.ts';
import { errorResponses, IdParam, jsonContent } from './schemas.ts';

const Role = z.enum(['admin', 'submitter', 'viewer']);

const KeyView = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    role: Role,
    name: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

const CreatedKey = KeyView.omit({ revoked_at: true })
  .extend({ key: z.string().openapi({ description: 'The bearer key; shown only once' }) })
  .openapi('CreatedApiKey');

const CreateKeyBody = z.strictObject({
  name: z.string().min(1).max(100).superRefine(safeText('name')),
  role: Role,
  /** Only an admin of tenant `default` (the operator) may create keys for other tenants. */
  tenant_id: z
    .string()
    .min(1)
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .optional(),
});

export function registerKeyRoutes(app: App, d: { db: Kysely<Database>; keys: KeyResolver }): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/keys',
      tags: ['keys'],
      summary:
        "Create an API key (admin). Tenant defaults to the caller's; only the operator tenant 'default' may name another",
      security: [{ Bearer: [] }],
      request: { body: { content: { 'application/json': { schema: CreateKeyBody } }, required: true } },
      responses: { 201: jsonContent(CreatedKey, 'Created'), ...errorResponses(400, 401, 403, 413, 415) },
    }),
    async (c) => {
      const p = requireRole(c, 'admin');
      const body = c.req.valid('json');
      const tenantId = body.tenant_id ?? p.tenantId;
      c.set('audit', { action: 'key.create', details: { tenant: tenantId, role: body.role } });
      if (tenantId !== p.tenantId && p.tenantId !== 'default') {
        throw errors.forbidden('keys may only be created for your own tenant');
      }
      const trail = auditTrail(c);
      const k = await d.db.transaction().execute(async (trx) => {
        const k = await createApiKey(trx, { tenantId, role: body.role, name: body.name });
        c.set('audit', {
          action: 'key.create',
          target: k.id,
          details: { tenant: tenantId, role: body.role },
        });
        await recordAudit(trx, trail.entry(201));
        return k;
      });
      trail.committed();
      return c.json(k, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/keys',
      tags: ['keys'],
      summary: "The tenant's API keys (admin; never the keys themselves)",
      security: [{ Bearer: [] }],
      responses: { 200: jsonContent(z.array(KeyView), 'Keys'), ...errorResponses(401, 403) },
    }),
    async (c) => {
      const p = requireRole(c, 'admin');
      const rows = await d.db
        .selectFrom('api_keys')
        .select(['id', 'tenant_id', 'role', 'name', 'created_at', 'revoked_at'])
        .where('tenant_id', '=', p.tenantId)
        .orderBy('created_at')
        .execute();
      return c.json(
        rows.map((r) => ({
          ...r,
          created_at: r.created_at.toISOString(),
          revoked_at: r.revoked_at ? r.revoked_at.toISOString() : null,
        })),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/keys/{id}',
      tags: ['keys'],
      summary: 'Revoke an API key (admin)',
      security: [{ Bearer: [] }],
      request: { params: IdParam },
      responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      const p = requireRole(c, 'admin');
      const { id } = c.req.valid('param');
      c.set('audit', { action: 'key.revoke', target: id });
      if (!isUuid(id)) throw errors.notFound('API key');
      const trail = auditTrail(c);
      await d.db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('api_keys')
          .set({ revoked_at: new Date() })
          .where('id', '=', id)
          .where('tenant_id', '=', p.tenantId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw errors.notFound('API key');
        await recordAudit(trx, trail.entry(204));
      });
      trail.committed();
      d.keys.invalidate();
      return c.body(null, 204);
    },
  );
}
