import { createRoute, z } from '@hono/zod-openapi';
import type { DeadLetter } from '@po/bus';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { errorResponses, jsonContent } from './schemas.ts';

export type DeadLetterSource = (limit: number) => Promise<DeadLetter[]>;

const View = z
  .object({
    seq: z.number().int(),
    time: z.string(),
    subject: z.string(),
    original_subject: z.string(),
    reason: z.string(),
    deliveries: z.number().int(),
    payload: z.unknown(),
  })
  .openapi('DeadLetter');

const route = createRoute({
  method: 'get',
  path: '/dead-letters',
  tags: ['ops'],
  summary: 'The most recent dead-lettered bus messages with their reasons (admin of tenant default)',
  security: [{ Bearer: [] }],
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }) },
  responses: { 200: jsonContent(z.array(View), 'Dead letters, newest first'), ...errorResponses(401, 403) },
});

export function registerDeadLetterRoutes(app: App, source: DeadLetterSource): void {
  app.openapi(route, async (c) => {
    const p = requireRole(c, 'admin');
    // Dead letters are operator data across tenants.
    if (p.tenantId !== 'default')
      throw errors.forbidden('dead letters are visible to operators (tenant default) only');
    const letters = await source(c.req.valid('query').limit ?? 50);
    return c.json(
      letters.map((l) => ({
        seq: l.seq,
        time: l.time.toISOString(),
        subject: l.subject,
        original_subject: l.originalSubject,
        reason: l.reason,
        deliveries: l.deliveries,
        payload: l.payload,
      })),
      200,
    );
  });
}
