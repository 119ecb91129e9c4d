import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../env.ts';
import { principalOf } from '../middleware/auth/index.ts';
import { errorResponses, jsonContent } from './schemas.ts';

const WhoAmI = z
  .object({
    tenant_id: z.string(),
    role: z.enum(['admin', 'submitter', 'viewer']),
    key_id: z
      .string()
      .nullable()
      .openapi({ description: 'The API key (as in GET /keys); null for the dev key (DEV_API_KEY)' }),
    key_name: z.string().openapi({ description: "The key's name (`dev-key` for the dev key)" }),
  })
  .openapi('WhoAmI');

/** GET /whoami: what the caller's key is, so a client knows what it may do without probing. */
export function registerWhoamiRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/whoami',
      tags: ['keys'],
      summary: "The caller's tenant, role and API key (any role)",
      security: [{ Bearer: [] }],
      responses: { 200: jsonContent(WhoAmI, 'The caller'), ...errorResponses(401) },
    }),
    (c) => {
      const p = principalOf(c);
      const key = p.key ?? { id: null, name: p.actor };
      return c.json({ tenant_id: p.tenantId, role: p.role, key_id: key.id, key_name: key.name }, 200);
    },
  );
}
