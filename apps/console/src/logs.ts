/**
 * Follows a pipeline's logs over the API's SSE stream (`GET /pipelines/:id/logs?follow=true`),
 * through fetch because EventSource cannot send the API key. A stream that drops, idles out or
 * falls behind is reopened with `Last-Event-ID`, so no line is lost or shown twice; it stops at
 * `event: end` (the pipeline finished) or when the signal aborts.
 */
import { ApiError, authHeaders } from './api.ts';
import { SseParser } from './sse.ts';
import type { LogLine } from './types.ts';

export interface FollowHandlers {
  line(l: LogLine, id: string | undefined): void;
  status?(status: string): void;
  problem?(message: string | undefined): void;
}

const RETRY_MS = 1_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

/** Resolves with the last event id when the stream ended (`end`) or the signal aborted. */
export async function followLogs(
  id: string,
  after: string | undefined,
  on: FollowHandlers,
  signal: AbortSignal,
): Promise<string | undefined> {
  let last = after;
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { ...authHeaders(), accept: 'text/event-stream' };
      if (last !== undefined) headers['last-event-id'] = last;
      const res = await fetch(`/pipelines/${encodeURIComponent(id)}/logs?follow=true`, { headers, signal });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => ({}))) as { error?: string; type?: string };
        throw new ApiError(res.status, body.type ?? 'Error', body.error ?? res.statusText);
      }
      on.problem?.(undefined);
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      let ended = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
          if (ev.event === 'log') {
            last = ev.id ?? last;
            on.line(JSON.parse(ev.data) as LogLine, ev.id);
          } else if (ev.event === 'status') on.status?.((JSON.parse(ev.data) as { status: string }).status);
          else if (ev.event === 'end') ended = true;
        }
        if (ended) {
          await reader.cancel();
          return last;
        }
      }
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        on.problem?.(`log stream: ${err.message}`);
        return last;
      }
      on.problem?.(err instanceof Error ? `log stream: ${err.message}; reconnecting…` : undefined);
    }
    await sleep(RETRY_MS, signal);
  }
  return last;
}
