import type { Context, MiddlewareHandler } from 'hono';
import { errors } from '../../errors/api-error.ts';
import type { Clock } from '../../types.ts';
import { type BucketOptions, TokenBuckets } from './bucket.ts';

export { TokenBuckets } from './bucket.ts';

export interface RateLimitOptions extends BucketOptions {
  /** What is limited, for the error message: `requests per client address`. */
  resource: string;
  /** The bucket key; `undefined` skips limiting for this request. */
  key: (c: Context) => string | undefined;
  clock: Clock;
}

/** Token-bucket rate limit: 429 ResourceQuotaExceeded with Retry-After when the bucket is empty. */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler {
  const buckets = new TokenBuckets(opts, opts.clock);
  return async (c, next) => {
    const key = opts.key(c);
    if (key !== undefined) {
      const wait = buckets.take(key);
      if (wait > 0) throw errors.quota(opts.resource, wait);
    }
    await next();
  };
}
