import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errors } from '../../errors/api-error.ts';

export interface BodyLimitsOptions {
  maxBodyBytes: number;
}

/**
 * Requests that carry a body must be JSON (415 otherwise) and at most `maxBodyBytes` (413),
 * checked while streaming so a huge body is never buffered.
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
    const hasBody =
      (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
    if (hasBody) {
      const type = c.req.header('content-type') ?? '';
      const mime = type.split(';')[0]?.trim().toLowerCase() ?? '';
      if (mime !== 'application/json' && !mime.endsWith('+json')) throw errors.unsupportedMedia(type);
    }
    return limit(c, next);
  };
}
