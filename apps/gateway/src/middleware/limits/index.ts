import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errors } from '../../errors/api-error.ts';

export interface BodyLimitsOptions {
  maxBodyBytes: number;
}

/**
 * Requests that carry a body must be JSON (415 otherwise) and at most `maxBodyBytes` (413): by its
 * Content-Length when it has one (Node's parser never reads past it), else counted while streaming
 * so a huge chunked body is never buffered.
 */
export function jsonBodyOnly({ maxBodyBytes }: BodyLimitsOptions): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw errors.tooLarge(maxBodyBytes);
    },
  });
  return async (c, next) => {
    const method = c.req.method;
    if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return next();
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    const hasBody = (length !== undefined && length !== '0') || chunked;
    if (hasBody) {
      const type = c.req.header('content-type') ?? '';
      const mime = type.split(';')[0]?.trim().toLowerCase() ?? '';
      if (mime !== 'application/json' && !mime.endsWith('+json')) throw errors.unsupportedMedia(type);
    }
    // With a Content-Length, decide without touching the body stream, so the JSON parser reads the
    // raw body directly (hono's bodyLimit would wrap it in a web stream first, a large share of a
    // request's CPU). Chunked or unsized bodies are counted while streaming.
    if (length !== undefined && !chunked) {
      if (Number.parseInt(length, 10) > maxBodyBytes) throw errors.tooLarge(maxBodyBytes);
      return next();
    }
    return limit(c, next);
  };
}
