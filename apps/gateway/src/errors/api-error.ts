import type { ErrorBody, ErrorType } from '@po/contracts';
import { HTTP_STATUS_OF } from '@po/contracts';

/**
 * An error the caller should see: the seed's `{"error", "type"}` body with the seed's status.
 * Anything that is not an ApiError is an internal fault and is reported generically.
 */
export class ApiError extends Error {
  readonly type: ErrorType;
  readonly headers: Record<string, string>;

  constructor(type: ErrorType, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.type = type;
    this.headers = headers;
  }

  get status(): number {
    return HTTP_STATUS_OF[this.type];
  }

  body(): ErrorBody {
    return { error: this.message, type: this.type };
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** The seed's message texts (thiserror `#[error(...)]`), so clients matching on them keep working. */
export const errors = {
  notFound: (what = 'Pipeline') => new ApiError('NotFound', `${what} not found`),
  invalidConfig: (detail: string) =>
    new ApiError('InvalidConfig', `Invalid pipeline configuration: ${detail}`),
  invalidState: (current: string) => new ApiError('InvalidState', `Pipeline in invalid state: ${current}`),
  quota: (resource: string, retryAfterSeconds: number) =>
    new ApiError('ResourceQuotaExceeded', `Resource quota exceeded: ${resource}`, {
      'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    }),
  templateError: (detail: string) => new ApiError('TemplateError', `Template rendering error: ${detail}`),
  unauthorized: (detail = 'missing or invalid API key') =>
    new ApiError('Unauthorized', `Unauthorized: ${detail}`, {
      'WWW-Authenticate': 'Bearer realm="pipelines"',
    }),
  forbidden: (detail: string) => new ApiError('Forbidden', `Forbidden: ${detail}`),
  tooLarge: (limit: number) => new ApiError('PayloadTooLarge', `Request body exceeds ${limit} bytes`),
  unsupportedMedia: (got: string) =>
    new ApiError(
      'UnsupportedMediaType',
      `Unsupported media type ${JSON.stringify(got)}: use application/json`,
    ),
};
