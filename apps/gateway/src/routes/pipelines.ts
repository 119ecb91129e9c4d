import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import {
  BUILTIN_PIPELINE_TYPES,
  CreatePipelineRequest,
  IdempotencyKey,
  PipelineStatus,
  Priority,
  safeText,
  templateNameOf,
} from '@po/contracts';
import { type Database, queuePlaces } from '@po/db';
import type { Kysely } from 'kysely';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { auditTrail } from '../middleware/audit/index.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { checkConfigBounds } from '../service/bounds.ts';
import type { PipelineService } from '../service/pipelines.ts';
import { toDetail, toEvent, toQueue, toResponse } from '../service/present.ts';
import { decodeCursor, encodeCursor, listAttempts, listEvents, listPipelines } from '../store/pipelines.ts';
import { Event, errorResponses, IdParam, jsonContent, Pipeline, PipelineDetail } from './schemas.ts';

export interface PipelineRoutesDeps {
  db: Kysely<Database>;
  service: PipelineService;
  maxPageSize: number;
  /** SCHEDULER_AGING_SECONDS, so queue positions follow the scheduler's order. */
  agingSeconds: number;
  /** A trace UI (Jaeger) base URL: pipeline details link to their trace there. */
  traceUiUrl?: string | undefined;
}

const IdempotencyHeader = z.object({
  'idempotency-key': IdempotencyKey.optional().openapi({
    description: 'Idempotency-Key: the same key and body return the original pipeline (200)',
    example: 'order-4711',
  }),
});

const create = createRoute({
  method: 'post',
  path: '/pipelines',
  tags: ['pipelines'],
  summary: 'Submit a pipeline',
  security: [{ Bearer: [] }],
  request: {
    headers: IdempotencyHeader,
    body: { content: { 'application/json': { schema: CreatePipelineRequest } }, required: true },
  },
  responses: {
    201: jsonContent(Pipeline, 'Created (Queued)'),
    200: jsonContent(Pipeline, 'The pipeline created earlier with the same Idempotency-Key and body'),
    ...errorResponses(400, 401, 403, 409, 413, 415, 429),
  },
});

const ListQuery = z.object({
  status: PipelineStatus.optional(),
  pipeline_type: z.enum(BUILTIN_PIPELINE_TYPES).optional(),
  template: z.string().max(63).superRefine(safeText('name')).optional(),
  priority: Priority.optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  // Pages are capped at maxPageSize; a larger limit is clamped, an absurd one refused.
  limit: z.coerce.number().int().min(1).max(1_000_000).optional(),
  cursor: z.string().max(200).optional(),
});

const list = createRoute({
  method: 'get',
  path: '/pipelines',
  tags: ['pipelines'],
  summary: 'List pipelines, newest first; the next page is in the Link header (rel="next")',
  security: [{ Bearer: [] }],
  request: { query: ListQuery },
  responses: {
    200: {
      ...jsonContent(z.array(Pipeline), 'A page of pipelines (bare array, as the seed)'),
      headers: z.object({ Link: z.string().optional() }),
    },
    ...errorResponses(400, 401, 429),
  },
});

const get = createRoute({
  method: 'get',
  path: '/pipelines/{id}',
  tags: ['pipelines'],
  summary: 'A pipeline with its attempts and timing',
  security: [{ Bearer: [] }],
  request: { params: IdParam },
  responses: { 200: jsonContent(PipelineDetail, 'The pipeline'), ...errorResponses(401, 404, 429) },
});

const cancel = createRoute({
  method: 'post',
  path: '/pipelines/{id}/cancel',
  tags: ['pipelines'],
  summary: 'Cancel a queued or running pipeline (its Job is deleted after its partial logs are stored)',
  security: [{ Bearer: [] }],
  request: { params: IdParam },
  responses: { 200: jsonContent(Pipeline, 'Cancelled'), ...errorResponses(401, 403, 404, 409, 429) },
});

const restart = createRoute({
  method: 'post',
  path: '/pipelines/{id}/restart',
  tags: ['pipelines'],
  summary: 'Run a finished pipeline again as a new attempt with the same config',
  security: [{ Bearer: [] }],
  request: { params: IdParam },
  responses: { 200: jsonContent(Pipeline, 'Queued again'), ...errorResponses(401, 403, 404, 409, 429) },
});

const events = createRoute({
  method: 'get',
  path: '/pipelines/{id}/events',
  tags: ['pipelines'],
  summary: "The pipeline's history: every transition with reason and time",
  security: [{ Bearer: [] }],
  request: { params: IdParam },
  responses: { 200: jsonContent(z.array(Event), 'Events, oldest first'), ...errorResponses(401, 404, 429) },
});

function parseDate(s: string | undefined): Date | undefined {
  return s === undefined ? undefined : new Date(s);
}

export function registerPipelineRoutes(app: App, d: PipelineRoutesDeps): void {
  app.openapi(create, async (c) => {
    const principal = requireRole(c, 'submitter');
    const body = c.req.valid('json');
    const bound = checkConfigBounds(body.config);
    if (bound) throw errors.invalidConfig(bound);
    const key = c.req.valid('header')['idempotency-key'];
    const id = randomUUID();
    const template = templateNameOf(body.pipeline_type);
    c.set('audit', { action: 'pipeline.create', target: id, details: { template } });
    const trail = auditTrail(c);
    const r = await d.service.create(principal, body, { idempotencyKey: key, id, audit: trail.entry(201) });
    if (r.created) trail.committed();
    // A replay answers the pipeline the key first created (its row says so; the middleware writes it).
    else
      c.set('audit', {
        action: 'pipeline.create',
        target: r.pipeline.id,
        details: { template, replay: true },
      });
    return c.json(toResponse(r.pipeline), r.created ? 201 : 200);
  });

  app.openapi(list, async (c) => {
    const principal = requireRole(c, 'viewer');
    const q = c.req.valid('query');
    const limit = Math.min(q.limit ?? 50, d.maxPageSize);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && after === undefined) throw errors.invalidConfig('cursor: malformed');
    if (q.pipeline_type && q.template && templateNameOf(q.pipeline_type) !== q.template) {
      return c.json([], 200);
    }
    const { rows, next } = await listPipelines(d.db, {
      tenantId: principal.tenantId,
      status: q.status,
      template: q.template ?? (q.pipeline_type ? templateNameOf(q.pipeline_type) : undefined),
      priority: q.priority,
      createdAfter: parseDate(q.created_after),
      createdBefore: parseDate(q.created_before),
      after,
      limit,
    });
    if (next) {
      const url = new URL(c.req.url);
      url.searchParams.set('cursor', encodeCursor(next));
      url.searchParams.set('limit', String(limit));
      c.header('Link', `<${url.pathname}${url.search}>; rel="next"`);
    }
    const places = await queuePlaces(
      d.db,
      rows.filter((p) => p.status === 'Queued' && p.admitted_at === null).map((p) => p.id),
      { agingSeconds: d.agingSeconds },
    );
    return c.json(
      rows.map((p) => ({ ...toResponse(p), queue: toQueue(p, places.get(p.id)) })),
      200,
    );
  });

  app.openapi(get, async (c) => {
    const principal = requireRole(c, 'viewer');
    const p = await d.service.get(principal, c.req.valid('param').id);
    const waiting = p.status === 'Queued' && p.admitted_at === null;
    const [attempts, places] = await Promise.all([
      listAttempts(d.db, p.id),
      waiting ? queuePlaces(d.db, [p.id], { agingSeconds: d.agingSeconds }) : undefined,
    ]);
    return c.json({ ...toDetail(p, attempts, d.traceUiUrl), queue: toQueue(p, places?.get(p.id)) }, 200);
  });

  app.openapi(cancel, async (c) => {
    const principal = requireRole(c, 'submitter');
    const { id } = c.req.valid('param');
    c.set('audit', { action: 'pipeline.cancel', target: id });
    const trail = auditTrail(c);
    const p = await d.service.cancel(principal, id, trail.entry(200));
    trail.committed();
    return c.json(toResponse(p), 200);
  });

  app.openapi(restart, async (c) => {
    const principal = requireRole(c, 'submitter');
    const { id } = c.req.valid('param');
    c.set('audit', { action: 'pipeline.restart', target: id });
    const trail = auditTrail(c);
    const p = await d.service.restart(principal, id, trail.entry(200));
    trail.committed();
    return c.json(toResponse(p), 200);
  });

  app.openapi(events, async (c) => {
    const principal = requireRole(c, 'viewer');
    const p = await d.service.get(principal, c.req.valid('param').id);
    return c.json((await listEvents(d.db, p.id)).map(toEvent), 200);
  });
}
