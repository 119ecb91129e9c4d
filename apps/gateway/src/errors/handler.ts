import { ERROR_TYPES, type ErrorType, HTTP_STATUS_OF } from '@po/contracts';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../types.ts';
import { ApiError } from './api-error.ts';

const TYPE_OF_STATUS = new Map<number, ErrorType>(
  ERROR_TYPES.filter((t) => t !== 'TemplateError').map((t) => [HTTP_STATUS_OF[t], t]),
);

/**
 * What a thrown value is answered with: an ApiError as it is, a Hono 4xx (malformed JSON, …) as the
 * seed's kind for its status, anything else as Internal.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException && err.status < 500) {
    const type = TYPE_OF_STATUS.get(err.status) ?? 'InvalidConfig';
    const headers = Object.fromEntries(err.getResponse().headers);
    delete headers['content-type'];
    return new ApiError(type, err.message || defaultMessage(type), headers);
  }
  return new ApiError('Internal', 'Internal server error');
}

/** Maps everything thrown by a handler or middleware to the seed's error body. */
export function onError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    const api = toApiError(err);
    if (api.type !== 'Internal') return respond(c, api);
    const requestId = c.get('requestId') as string | undefined;
    logger.error({ err, requestId, path: c.req.path }, 'unhandled error');
    return c.json(
      { error: 'Internal server error', type: 'Internal', request_id: requestId ?? null },
      500,
      requestId ? { 'X-Request-Id': requestId } : {},
    );
  };
}

function respond(c: Context, e: ApiError): Response {
  return c.json(e.body(), e.status as ContentfulStatusCode, e.headers);
}

function defaultMessage(type: ErrorType): string {
  return type === 'InvalidConfig' ? 'Invalid pipeline configuration: malformed request' : type;
}

export function notFoundRoute(c: Context): Response {
  return c.json({ error: `No route for ${c.req.method} ${c.req.path}`, type: 'NotFound' }, 404);
}
