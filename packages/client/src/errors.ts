/** The seed's error kinds as typed errors: every non-2xx answer of the API is a PoApiError. */
import { ERROR_TYPES } from '@po/contracts';
import type { components } from './generated/api.ts';

export type ErrorType = components['schemas']['Error']['type'];

export class PoApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  /** Seconds the server asked to wait (429's Retry-After), when it said. */
  readonly retryAfterSeconds: number | undefined;
  readonly requestId: string | undefined;

  constructor(
    status: number,
    type: ErrorType,
    message: string,
    opts: { retryAfterSeconds?: number | undefined; requestId?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PoApiError';
    this.status = status;
    this.type = type;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.requestId = opts.requestId;
  }
}

/** True when `err` is an API error, of one of `types` when given. */
export function isPoApiError(err: unknown, ...types: ErrorType[]): err is PoApiError {
  return err instanceof PoApiError && (types.length === 0 || types.includes(err.type));
}

/** A wait for a terminal status that ran out of time (the pipeline itself goes on). */
export class WaitTimeoutError extends Error {
  readonly pipelineId: string;
  readonly lastStatus: string | undefined;
  constructor(pipelineId: string, timeoutMs: number, lastStatus: string | undefined) {
    super(
      `pipeline ${pipelineId} did not finish within ${timeoutMs} ms (last status ${lastStatus ?? 'unknown'})`,
    );
    this.name = 'WaitTimeoutError';
    this.pipelineId = pipelineId;
    this.lastStatus = lastStatus;
  }
}

const KNOWN = new Set<string>(ERROR_TYPES);

/** The error a non-2xx response stands for; a body that is not the seed's shape still gets a kind. */
export function errorFromResponse(res: Response, body: unknown): PoApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; type?: unknown };
  const type: ErrorType =
    typeof b.type === 'string' && KNOWN.has(b.type) ? (b.type as ErrorType) : fallbackType(res.status);
  const message =
    typeof b.error === 'string' ? b.error : `${res.status} ${res.statusText || 'error'} from ${res.url}`;
  const retry = Number(res.headers.get('retry-after'));
  return new PoApiError(res.status, type, message, {
    retryAfterSeconds: Number.isFinite(retry) && retry > 0 ? retry : undefined,
    requestId: res.headers.get('x-request-id') ?? undefined,
  });
}

function fallbackType(status: number): ErrorType {
  const byStatus: Record<number, ErrorType> = {
    400: 'InvalidConfig',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    408: 'Timeout',
    409: 'InvalidState',
    413: 'PayloadTooLarge',
    415: 'UnsupportedMediaType',
    429: 'ResourceQuotaExceeded',
  };
  return byStatus[status] ?? 'Internal';
}
