import type { Clock } from '../../types.ts';

export interface BucketOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: the largest burst allowed. */
  burst: number;
  /** Buckets idle this long are forgotten (they would be full anyway). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by a string, refilled lazily from the clock (no timers). */
export class TokenBuckets {
  readonly #opts: Required<BucketOptions>;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();

  constructor(opts: BucketOptions, clock: Clock) {
    this.#opts = { maxKeys: 100_000, ...opts };
    this.#clock = clock;
  }

  /** Takes one token; returns 0 when allowed, else the seconds until a token is available. */
  take(key: string): number {
    const now = this.#clock.now().getTime();
    const { ratePerSecond, burst } = this.#opts;
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#opts.maxKeys) this.#evict(now);
      b = { tokens: burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / ratePerSecond;
  }

  #evict(now: number): void {
    const fullAfterMs = (this.#opts.burst / this.#opts.ratePerSecond) * 1000;
    for (const [k, b] of this.#buckets) if (now - b.at >= fullAfterMs) this.#buckets.delete(k);
    if (this.#buckets.size >= this.#opts.maxKeys) this.#buckets.clear();
  }
}
