/**
 * Following a pipeline's logs: an async iterator over the gateway's SSE stream that reconnects
 * with `Last-Event-ID` when the connection drops (or the server ends it as idle or too slow), so
 * every line arrives once, in order, until the pipeline ends.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { errorFromResponse, PoApiError } from './errors.ts';
import type { components } from './generated/api.ts';

export type LogLine = components['schemas']['LogLine'];
export type PipelineStatus = components['schemas']['Pipeline']['status'];

export type LogEvent =
  | { type: 'log'; id: string; line: LogLine }
  | { type: 'status'; status: PipelineStatus }
  | { type: 'end'; status: PipelineStatus; truncated: boolean }
  /** The stream was cut (network, idle, slow reader); the iterator reconnects from `lastEventId`. */
  | { type: 'reconnect'; lastEventId: string | undefined; reason: string };

export interface FollowOptions {
  attempt?: number;
  tail?: number;
  since?: string;
  /** Resume after this log event id (a previous follower's last). */
  lastEventId?: string;
  signal?: AbortSignal;
  /** First delay before reconnecting; doubles up to 10 s, reset by every event received. */
  retryMs?: number;
  /** Consecutive failed connection attempts before giving up (the last error is thrown). */
  maxRetries?: number;
}

export interface FollowTransport {
  /** GET the logs stream; the client adds the base URL and credentials. */
  open(query: URLSearchParams, headers: Record<string, string>, signal: AbortSignal): Promise<Response>;
}

export async function* followLogs(
  transport: FollowTransport,
  opts: FollowOptions = {},
): AsyncGenerator<LogEvent, void, undefined> {
  let lastEventId = opts.lastEventId;
  const baseDelay = opts.retryMs ?? 500;
  const maxRetries = opts.maxRetries ?? 8;
  let failures = 0;
  let delay = baseDelay;
  for (;;) {
    opts.signal?.throwIfAborted();
    const q = new URLSearchParams({ follow: 'true' });
    if (opts.attempt !== undefined) q.set('attempt', String(opts.attempt));
    if (opts.since !== undefined) q.set('since', opts.since);
    // `tail` bounds the first backlog only: a resumed stream continues after the last line seen.
    if (opts.tail !== undefined && lastEventId === undefined) q.set('tail', String(opts.tail));
    const ctrl = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, ctrl.signal]) : ctrl.signal;
    let reason: string;
    /** A refusal that waiting will not change: thrown as it is. */
    let final = false;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const res = await transport.open(q, headers, signal);
      if (!res.ok) {
        const err = errorFromResponse(res, await res.json().catch(() => undefined));
        // A tenant at its follower cap waits as told; any other refusal is final.
        final = err.type !== 'ResourceQuotaExceeded' && err.status < 500;
        throw err;
      }
      if (!res.body) throw new Error('log stream has no body');
      const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
      reason = 'stream closed before the pipeline ended';
      let received = false;
      for await (const ev of events) {
        received = true;
        failures = 0;
        delay = baseDelay;
        if (ev.event === 'log') {
          if (ev.id) lastEventId = ev.id;
          yield { type: 'log', id: ev.id ?? '', line: JSON.parse(ev.data) as LogLine };
        } else if (ev.event === 'status') {
          yield { type: 'status', status: (JSON.parse(ev.data) as { status: PipelineStatus }).status };
        } else if (ev.event === 'end') {
          const end = JSON.parse(ev.data) as { status: PipelineStatus; truncated: boolean };
          yield { type: 'end', status: end.status, truncated: end.truncated };
          return;
        } else if (ev.event === 'idle' || ev.event === 'error') {
          reason = `server ended the stream (${ev.event})`;
          break;
        }
      }
      if (!received && ++failures > maxRetries) throw new Error(`log stream: ${reason}`);
    } catch (err) {
      opts.signal?.throwIfAborted();
      if (final) throw err;
      failures++;
      if (failures > maxRetries) throw err;
      reason = err instanceof Error ? err.message : String(err);
      if (err instanceof PoApiError && err.retryAfterSeconds !== undefined)
        delay = Math.max(delay, err.retryAfterSeconds * 1000);
    } finally {
      ctrl.abort();
    }
    yield { type: 'reconnect', lastEventId, reason };
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 2, 10_000);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
