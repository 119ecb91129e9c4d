import { createRoute, z } from '@hono/zod-openapi';
import { isTerminal } from '@po/contracts';
import type { Database, Pipeline } from '@po/db';
import { streamSSE } from 'hono/streaming';
import type { Kysely } from 'kysely';
import type { App } from '../env.ts';
import { requireRole } from '../middleware/auth/index.ts';
import type { PipelineService } from '../service/pipelines.ts';
import { getTenantPipeline, type LogLineRow, listAttempts, readLogs } from '../store/pipelines.ts';
import type { Clock } from '../types.ts';
import { errorResponses, IdParam, Logs } from './schemas.ts';

export interface LogRoutesDeps {
  db: Kysely<Database>;
  service: PipelineService;
  clock: Clock;
  /** How often a follower polls for new lines. */
  followPollMs: number;
  /** After the pipeline ends, how long to wait for the log-collector's final capture. */
  followFinalCaptureWaitMs: number;
  maxLines: number;
}

/** The log-collector's marker line where the size cap cut the logs (`truncationMarker` in @po/db). */
const MARKER = /^\[log truncated: size cap of \d+ bytes reached\]$/;

const LogsQuery = z.object({
  attempt: z.coerce.number().int().min(1).optional(),
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
              'follow=true: `event: log` (data: a LogLine as JSON, id: its sequence), `event: status` (data: {status}), finally `event: end` (data: {status, truncated})',
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
      const lastEventId = c.req.header('last-event-id');
      const resumeAfter = lastEventId && /^\d{1,19}$/.test(lastEventId) ? lastEventId : undefined;
      return streamSSE(c, async (stream) => {
        let aborted = false;
        stream.onAbort(() => {
          aborted = true;
        });
        let afterId = resumeAfter;
        let first = resumeAfter === undefined;
        let status = p.status;
        let endedAt: number | undefined;
        await stream.writeSSE({ event: 'status', data: JSON.stringify({ status }) });
        while (!aborted) {
          const rows = await readLogs(d.db, {
            pipelineId: p.id,
            attempt: q.attempt,
            since,
            afterId,
            tail: first ? q.tail : undefined,
            limit: d.maxLines,
          });
          first = false;
          for (const r of rows) {
            await stream.writeSSE({ event: 'log', id: r.id, data: JSON.stringify(toLine(r)) });
            afterId = r.id;
          }
          if (rows.length >= d.maxLines) continue;
          const cur: Pipeline | undefined = await getTenantPipeline(d.db, principal.tenantId, p.id);
          if (!cur) break;
          if (cur.status !== status) {
            status = cur.status;
            await stream.writeSSE({ event: 'status', data: JSON.stringify({ status }) });
          }
          if (isTerminal(cur.status)) {
            const attempts = await listAttempts(d.db, cur.id);
            const current = attempts.find((a) => a.attempt === cur.attempt);
            endedAt ??= d.clock.now().getTime();
            const settled =
              current === undefined ||
              current.logs_captured_at !== null ||
              d.clock.now().getTime() - endedAt >= d.followFinalCaptureWaitMs;
            if (settled) {
              // One last read: lines stored together with the capture mark.
              const tailRows = await readLogs(d.db, {
                pipelineId: p.id,
                attempt: q.attempt,
                since,
                afterId,
                limit: d.maxLines,
              });
              for (const r of tailRows) {
                await stream.writeSSE({ event: 'log', id: r.id, data: JSON.stringify(toLine(r)) });
                afterId = r.id;
              }
              const truncated = attempts.some((a) => a.logs_truncated);
              await stream.writeSSE({
                event: 'end',
                data: JSON.stringify({ status: cur.status, truncated }),
              });
              break;
            }
          }
          await stream.sleep(d.followPollMs);
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
