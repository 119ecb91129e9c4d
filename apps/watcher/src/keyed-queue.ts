import type { Logger } from '@po/telemetry';

type Work = (key: string) => Promise<void>;

/**
 * A work queue keyed by object name, as controllers use: a key is processed by one worker at a
 * time, and changes that arrive while it is processed coalesce into one more pass. It holds its
 * keys until start(): nothing is decided before the caches it reads have synced (invariant 9).
 * Keys carry no payload: the work re-reads the whole picture (level-triggered). At most
 * `concurrency` keys are processed at once (default 64); the others wait in the order they were
 * added, so a resync or a start with thousands of keys does not hold thousands of passes (each with
 * its rows and a place in the database pool's queue) in memory at once.
 */
export class KeyedQueue {
  readonly #work: Work;
  readonly #logger: Logger;
  readonly #retryMs: number;
  readonly #concurrency: number;
  readonly #pending = new Set<string>();
  readonly #active = new Map<string, Promise<void>>();
  readonly #retries = new Set<NodeJS.Timeout>();
  #started = false;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(work: Work, logger: Logger, opts: { retryMs?: number; concurrency?: number } = {}) {
    this.#work = work;
    this.#logger = logger;
    this.#retryMs = opts.retryMs ?? 1000;
    this.#concurrency = Math.max(1, opts.concurrency ?? 64);
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#pending.add(key);
    if (this.#started && !this.#active.has(key) && this.#active.size < this.#concurrency) this.#run(key);
  }

  /** Begins processing, the keys added so far first. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#fill();
  }

  /** Keys waiting for a pass (including those whose pass is running and changed since it began). */
  get pending(): number {
    return this.#pending.size;
  }

  /** Keys being processed now (at most `concurrency`). */
  get inFlight(): number {
    return this.#active.size;
  }

  /** Starts the oldest waiting keys that are not being processed, while a slot is free. */
  #fill(): void {
    if (!this.#started || this.#stopped) return;
    for (const key of this.#pending) {
      if (this.#active.size >= this.#concurrency) return;
      if (!this.#active.has(key)) this.#run(key);
    }
  }

  #run(key: string): void {
    this.#pending.delete(key);
    const p = this.#work(key)
      .catch((err) => {
        this.#logger.error({ err, key }, 'reconcile failed; retrying');
        const t = setTimeout(() => {
          this.#retries.delete(t);
          this.add(key);
        }, this.#retryMs);
        t.unref();
        this.#retries.add(t);
      })
      .finally(() => {
        this.#active.delete(key);
        this.#fill();
        if (this.#active.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
      });
    this.#active.set(key, p);
  }

  /** Resolves when no key is being processed. */
  idle(): Promise<void> {
    if (this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending.clear();
    for (const t of this.#retries) clearTimeout(t);
    this.#retries.clear();
    await Promise.allSettled([...this.#active.values()]);
  }
}
