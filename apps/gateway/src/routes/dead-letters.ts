import { createRoute, z } from '@hono/zod-openapi';
import type { DeadLetterPage } from '@po/bus';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { errorResponses, jsonContent } from './schemas.ts';

export type DeadLetterSource = (page: {
  limit: number;
  before?: number | undefined;
}) => Promise<DeadLetterPage>;

const MAX_PAGE = 100;

const View = z
  .object({
    seq: z.number().int(),
    time: z.string(),
    subject: z.string(),
    original_subject: z.string(),
    reason: z.string(),
    deliveries: z.number().int(),
    payload: z.unknown().openapi({ description: 'Redacted (credentials replaced) and cut to 4 KiB' }),
    truncated_from: z.number().int().optional().openapi({ description: "The original's size, when cut" }),
  })
  .openapi('DeadLetter');

const route = createRoute({
  method: 'get',
  path: '/dead-letters',
  tags: ['ops'],
  summary:
    'Dead-lettered bus messages with their reasons, newest first; the next page is in the Link header (admin of tenant default)',
  security: [{ Bearer: [] }],
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
      /** The sequence below which the page starts (from the previous page's Link). */
      cursor: z
        .string()
        .regex(/^[1-9][0-9]{0,15}$/, 'must be a cursor from a Link header')
        .optional(),
    }),
  },
  responses: {
    200: {
      ...jsonContent(z.array(View), 'A page of dead letters, newest first'),
      headers: z.object({ Link: z.string().optional() }),
    },
    ...errorResponses(400, 401, 403),
  },
});

export function registerDeadLetterRoutes(app: App, source: DeadLetterSource): void {
  app.openapi(route, async (c) => {
    const p = requireRole(c, 'admin');
    // Dead letters are operator data across tenants.
    if (p.tenantId !== 'default')
      throw errors.forbidden('dead letters are visible to operators (tenant default) only');
    const q = c.req.valid('query');
    const limit = q.limit ?? 50;
    const page = await source({ limit, before: q.cursor === undefined ? undefined : Number(q.cursor) });
    if (page.next !== undefined) {
      const url = new URL(c.req.url);
      url.searchParams.set('cursor', String(page.next));
      url.searchParams.set('limit', String(limit));
      c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
    }
    return c.json(
      page.letters.map((l) => ({
        seq: l.seq,
        time: l.time.toISOString(),
        subject: l.subject,
        original_subject: l.originalSubject,
        reason: l.reason,
        deliveries: l.deliveries,
        payload: l.payload,
        ...(l.truncatedFrom !== undefined ? { truncated_from: l.truncatedFrom } : {}),
      })),
      200,
    );
  });
}
