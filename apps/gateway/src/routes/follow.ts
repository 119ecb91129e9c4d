import type { Pipeline } from '@po/db';
import type { SSEStreamingApi } from 'hono/streaming';
import type { FeedUpdate, LogFeeds } from '../service/log-feed.ts';
import { type LogLineRow, readLogs } from '../store/pipelines.ts';
import type { LogRoutesDeps } from './logs.ts';

export interface FollowLimits {
  /** A comment line this often keeps proxies and clients from timing the stream out. */
  heartbeatMs: number;
  /** A stream with no new line or status for this long ends with `event: idle` (resume with Last-Event-ID). */
  idleTimeoutMs: number;
  /** Updates a slow reader may have waiting; beyond, its stream ends with `event: error`. */
  maxBuffered: number;
}

export interface FollowRequest {
  pipeline: Pipeline;
  attempt: number | undefined;
  since: Date | undefined;
  tail: number | undefined;
  resumeAfter: string | undefined;
}

/**
 * One SSE follower: its backlog (paged, a short query each), then the pipeline's shared feed until
 * the pipeline ends, the client leaves, it stays idle too long or falls too far behind. It holds no
 * pool connection while it waits.
 */
export async function follow(
  stream: SSEStreamingApi,
  d: Pick<LogRoutesDeps, 'db' | 'maxLines'> & { feeds: LogFeeds; limits: FollowLimits },
  toLine: (r: LogLineRow) => unknown,
  req: FollowRequest,
): Promise<void> {
  const { pipeline: p } = req;
  let lastSent = req.resumeAfter === undefined ? -1n : BigInt(req.resumeAfter);
  const queue: FeedUpdate[] = [];
  let overflow = false;
  let aborted = false;
  let wake: (() => void) | undefined;
  const sub = d.feeds.subscribe(p.id, (u) => {
    if (queue.length >= d.limits.maxBuffered) overflow = true;
    else queue.push(u);
    wake?.();
  });
  stream.onAbort(() => {
    aborted = true;
    wake?.();
  });
  const heartbeat = setInterval(
    () => void stream.write(': heartbeat\n\n').catch(() => {}),
    d.limits.heartbeatMs,
  );
  const wanted = (r: LogLineRow) =>
    BigInt(r.id) > lastSent &&
    (req.attempt === undefined || r.attempt === req.attempt) &&
    (req.since === undefined || (r.ts !== null && r.ts >= req.since));
  const send = async (r: LogLineRow) => {
    await stream.writeSSE({ event: 'log', id: r.id, data: JSON.stringify(toLine(r)) });
    lastSent = BigInt(r.id);
  };
  try {
    let status = p.status;
    await stream.writeSSE({ event: 'status', data: JSON.stringify({ status }) });
    // The backlog, after subscribing: every line is in it or in a later update.
    let afterId = req.resumeAfter;
    for (let first = true; !aborted; first = false) {
      const tail = first ? req.tail : undefined;
      const rows = await readLogs(d.db, {
        pipelineId: p.id,
        attempt: req.attempt,
        since: req.since,
        afterId,
        tail,
        limit: d.maxLines,
      });
      for (const r of rows) if (wanted(r)) await send(r);
      afterId = rows.at(-1)?.id ?? afterId;
      if (tail !== undefined || rows.length < d.maxLines) break;
    }
    sub.start(lastSent < 0n ? undefined : String(lastSent));

    let idleSince = performance.now();
    while (!aborted) {
      if (overflow) {
        await stream.writeSSE({
          event: 'error',
          data: JSON.stringify({ error: 'reader too slow: reconnect with Last-Event-ID' }),
        });
        return;
      }
      const u = queue.shift();
      if (!u) {
        const left = d.limits.idleTimeoutMs - (performance.now() - idleSince);
        if (left <= 0) {
          await stream.writeSSE({ event: 'idle', data: JSON.stringify({ idle_ms: d.limits.idleTimeoutMs }) });
          return;
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
        continue;
      }
      for (const r of u.rows) {
        if (!wanted(r)) continue;
        await send(r);
        idleSince = performance.now();
      }
      if (u.pipeline.status !== status) {
        status = u.pipeline.status;
        idleSince = performance.now();
        await stream.writeSSE({ event: 'status', data: JSON.stringify({ status }) });
      }
      if (u.ended) {
        const truncated = u.ended.attempts.some((a) => a.logs_truncated);
        await stream.writeSSE({
          event: 'end',
          data: JSON.stringify({ status: u.pipeline.status, truncated }),
        });
        return;
      }
    }
  } finally {
    clearInterval(heartbeat);
    sub.unsubscribe();
  }
}
