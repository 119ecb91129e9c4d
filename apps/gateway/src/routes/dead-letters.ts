import { createRoute, z } from '@hono/zod-openapi';
import { NotReplayable } from '@po/bus';
import type { Context } from 'hono';
import { Counter, type Registry } from 'prom-client';
import type { App } from '../env.ts';
import { ApiError, errors, isApiError } from '../errors/api-error.ts';
import { requireRole } from '../middleware/auth/index.ts';
import type { DeadLetters } from '../service/dead-letters.ts';
import { errorResponses, jsonContent } from './schemas.ts';

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
    message_id: z.string().optional().openapi({
      description: "The original message's id (idempotency key or envelope id), kept by a replay",
    }),
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

const SeqParam = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, "must be a dead letter's seq")
    .openapi({ param: { name: 'id', in: 'path' }, description: "The dead letter's seq" }),
});

const ReplayView = z
  .object({
    seq: z.number().int(),
    original_subject: z.string(),
    message_id: z
      .string()
      .openapi({ description: 'The id the message kept (idempotency key or envelope id)' }),
    via: z.enum(['intake', 'stream']).openapi({
      description: 'intake: handed to the NATS intake again; stream: published again on its stream',
    }),
    pipeline_id: z.string().optional().openapi({ description: 'intake: the pipeline the submission names' }),
    created: z.boolean().optional().openapi({ description: 'intake: false when it already existed' }),
    duplicate: z
      .boolean()
      .optional()
      .openapi({ description: 'stream: dropped by JetStream as a repeat of a replay moments ago' }),
  })
  .openapi('DeadLetterReplay');

const replayRoute = createRoute({
  method: 'post',
  path: '/dead-letters/{id}/replay',
  tags: ['ops'],
  summary:
    'Replay a dead letter on its original subject, keeping its message id: a second replay changes nothing; the letter stays until deleted (admin of tenant default)',
  security: [{ Bearer: [] }],
  request: { params: SeqParam },
  responses: {
    200: jsonContent(ReplayView, 'What the replay did'),
    ...errorResponses(400, 401, 403, 404, 409, 429),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/dead-letters/{id}',
  tags: ['ops'],
  summary: 'Discard a dead letter (admin of tenant default)',
  security: [{ Bearer: [] }],
  request: { params: SeqParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404) },
});

/** Dead letters are operator data across tenants. */
function requireOperator(c: Context): void {
  const p = requireRole(c, 'admin');
  if (p.tenantId !== 'default')
    throw errors.forbidden('dead letters are visible to operators (tenant default) only');
}

export function registerDeadLetterRoutes(app: App, store: DeadLetters, registry: Registry): void {
  const acted = new Counter({
    name: 'po_gateway_dead_letters_total',
    help: 'Dead letters replayed or deleted through the API, by outcome',
    labelNames: ['action', 'outcome'],
    registers: [registry],
  });
  /** Counts the outcome of `run` (its error type when it throws). */
  const counted = async <T>(action: string, run: () => Promise<{ value: T; outcome: string }>) => {
    try {
      const r = await run();
      acted.inc({ action, outcome: r.outcome });
      return r.value;
    } catch (err) {
      acted.inc({ action, outcome: isApiError(err) ? err.type : 'Internal' });
      throw err;
    }
  };

  app.openapi(replayRoute, async (c) => {
    requireOperator(c);
    const { id } = c.req.valid('param');
    c.set('audit', { action: 'dead_letter.replay', target: id });
    const r = await counted('replay', async () => {
      let out: Awaited<ReturnType<DeadLetters['replay']>>;
      try {
        out = await store.replay(Number(id));
      } catch (err) {
        if (err instanceof NotReplayable)
          throw new ApiError('InvalidState', `Dead letter cannot be replayed: ${err.message}`);
        throw err;
      }
      if (!out) throw errors.notFound('Dead letter');
      const outcome =
        out.via === 'intake'
          ? out.created
            ? 'created'
            : 'existed'
          : out.duplicate
            ? 'duplicate'
            : 'published';
      return { value: out, outcome };
    });
    c.set('audit', {
      action: 'dead_letter.replay',
      target: id,
      details: {
        original_subject: r.originalSubject,
        message_id: r.messageId,
        via: r.via,
        ...(r.pipelineId !== undefined ? { pipeline_id: r.pipelineId, created: r.created } : {}),
        ...(r.duplicate !== undefined ? { duplicate: r.duplicate } : {}),
      },
    });
    return c.json(
      {
        seq: r.seq,
        original_subject: r.originalSubject,
        message_id: r.messageId,
        via: r.via,
        ...(r.pipelineId !== undefined ? { pipeline_id: r.pipelineId } : {}),
        ...(r.created !== undefined ? { created: r.created } : {}),
        ...(r.duplicate !== undefined ? { duplicate: r.duplicate } : {}),
      },
      200,
    );
  });

  app.openapi(deleteRoute, async (c) => {
    requireOperator(c);
    const { id } = c.req.valid('param');
    c.set('audit', { action: 'dead_letter.delete', target: id });
    await counted('delete', async () => {
      if (!(await store.remove(Number(id)))) throw errors.notFound('Dead letter');
      return { value: undefined, outcome: 'deleted' };
    });
    return c.body(null, 204);
  });

  app.openapi(route, async (c) => {
    requireOperator(c);
    const q = c.req.valid('query');
    const limit = q.limit ?? 50;
    const page = await store.list({ limit, before: q.cursor === undefined ? undefined : Number(q.cursor) });
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
        ...(l.messageId !== undefined ? { message_id: l.messageId } : {}),
      })),
      200,
    );
  });
}
