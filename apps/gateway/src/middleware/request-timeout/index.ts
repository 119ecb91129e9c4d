import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { timeout } from 'hono/timeout';

/**
 * Answers 408 (the seed's Timeout kind, via onError) when a request takes longer than `ms` — e.g. a
 * dependency that hangs — instead of holding the client forever. Streams (`skip`) are exempt.
 */
export function requestTimeout(ms: number, skip: (c: Context) => boolean): MiddlewareHandler {
  const limit = timeout(ms, new HTTPException(408, { message: `Request timed out after ${ms} ms` }));
  return (c, next) => (skip(c) ? next() : limit(c, next));
}
