import { createRoute, z } from '@hono/zod-openapi';
import { INT4_MAX } from '@po/contracts';
import type { Database } from '@po/db';
import { streamSSE } from 'hono/streaming';
import type { Kysely } from 'kysely';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';
import { requireRole } from '../middleware/auth/index.ts';
import type { FollowerSlots, LogFeeds } from '../service/log-feed.ts';
import type { PipelineService } from '../service/pipelines.ts';
import { type LogLineRow, listAttempts, readLogs } from '../store/pipelines.ts';
import { type FollowLimits, follow } from './follow.ts';
import { errorResponses, IdParam, Logs } from './schemas.ts';

export interface LogRoutesDeps {
  db: Kysely<Database>;
  service: PipelineService;
  /** The shared per-pipeline pollers that feed SSE followers. */
  feeds: LogFeeds;
  /** Open SSE followers per tenant (capped). */
  followers: FollowerSlots;
  limits: FollowLimits;
  maxLines: number;
}

/** How long a tenant at its follower cap is told to wait. */
const FOLLOWERS_RETRY_AFTER_S = 5;

/** The log-collector's marker line where the size cap cut the logs (`truncationMarker` in @po/db). */
const MARKER = /^\[log truncated: size cap of \d+ bytes reached\]$/;

const LogsQuery = z.object({
  attempt: z.coerce.number().int().min(1).max(INT4_MAX).optional(),
  tail: z.coerce.number().int().min(1).max(100_000).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  follow: z.stringbool().optional(),
});

const route = createRoute({
  method: 'get',
  path: '/pipelines/{id}/logs',
  tags: ['pipelines'],
  summary:
    'Stored logs per attempt and pod with timestamps; ?follow=true streams live lines as Server-Sent Events until the pipeline ends',
  security: [{ Bearer: [] }],
  request: { params: IdParam, query: LogsQuery },
  responses: {
    200: {
      content: {
        'application/json': { schema: Logs },
        'text/event-stream': {
          schema: z.string().openapi({
            description:
              'follow=true: `event: log` (data: a LogLine as JSON, id: its sequence), `event: status` (data: {status}), finally `event: end` (data: {status, truncated}); a `: heartbeat` comment while quiet; `event: idle` when nothing happened for the idle timeout, `event: error` when the reader fell too far behind (reconnect with Last-Event-ID). Followers are capped per tenant (429).',
          }),
        },
      },
      description: 'Logs',
    },
    ...errorResponses(400, 401, 404, 429),
  },
});

export function toLine(r: LogLineRow) {
  const marker = MARKER.test(r.line);
  return {
    attempt: r.attempt,
    pod: r.pod_name,
    ts: r.ts ? r.ts.toISOString() : null,
    line: r.line,
    ...(marker ? { truncated: true } : {}),
  };
}

export function registerLogRoutes(app: App, d: LogRoutesDeps): void {
  app.openapi(route, async (c) => {
    const principal = requireRole(c, 'viewer');
    const p = await d.service.get(principal, c.req.valid('param').id);
    const q = c.req.valid('query');
    const since = q.since ? new Date(q.since) : undefined;

    if (q.follow) {
      const release = d.followers.acquire(principal.tenantId);
      if (!release)
        throw errors.quota(
          `log followers (at most ${d.followers.max} open per tenant)`,
          FOLLOWERS_RETRY_AFTER_S,
        );
      const lastEventId = c.req.header('last-event-id');
      const resumeAfter = lastEventId && /^\d{1,18}$/.test(lastEventId) ? lastEventId : undefined;
      return streamSSE(c, async (stream) => {
        try {
          await follow(stream, d, toLine, {
            pipeline: p,
            attempt: q.attempt,
            since,
            tail: q.tail,
            resumeAfter,
          });
        } finally {
          release();
        }
      });
    }

    const [attempts, rows] = await Promise.all([
      listAttempts(d.db, p.id),
      readLogs(d.db, { pipelineId: p.id, attempt: q.attempt, since, tail: q.tail, limit: d.maxLines }),
    ]);
    const pods = new Map<number, Set<string>>();
    for (const r of rows) {
      const s = pods.get(r.attempt) ?? new Set<string>();
      s.add(r.pod_name);
      pods.set(r.attempt, s);
    }
    const shown = attempts.filter((a) => q.attempt === undefined || a.attempt === q.attempt);
    return c.json(
      {
        pipeline_id: p.id,
        status: p.status,
        attempt: p.attempt,
        truncated: shown.some((a) => a.logs_truncated),
        attempts: shown.map((a) => ({
          attempt: a.attempt,
          job_name: a.job_name,
          truncated: a.logs_truncated,
          logs_bytes: a.logs_bytes,
          captured: a.logs_captured_at !== null,
          pods: [...(pods.get(a.attempt) ?? [])],
        })),
        lines: rows.map(toLine),
      },
      200,
    );
  });
}
