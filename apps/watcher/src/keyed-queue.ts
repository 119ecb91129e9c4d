import type { Logger } from '@po/telemetry';

type Work<H> = (key: string, hint?: H) => Promise<void>;

/**
 * A work queue keyed by object name, as controllers use: a key is processed by one worker at a
 * time, and changes that arrive while it is processed coalesce into one more pass.
 */
export class KeyedQueue<H = unknown> {
  readonly #work: Work<H>;
  readonly #logger: Logger;
  readonly #pending = new Map<string, H | undefined>();
  readonly #active = new Map<string, Promise<void>>();
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(work: Work<H>, logger: Logger) {
    this.#work = work;
    this.#logger = logger;
  }

  add(key: string, hint?: H): void {
    if (this.#stopped) return;
    const prev = this.#pending.get(key);
    this.#pending.set(key, hint ?? prev);
    if (!this.#active.has(key)) this.#run(key);
  }

  #run(key: string): void {
    const hint = this.#pending.get(key);
    this.#pending.delete(key);
    const p = this.#work(key, hint)
      .catch((err) => {
        this.#logger.error({ err, key }, 'reconcile failed; retrying');
        // Retry later with the same hint unless something newer arrived.
        setTimeout(() => this.add(key, hint), 1000).unref();
      })
      .finally(() => {
        this.#active.delete(key);
        if (this.#pending.has(key) && !this.#stopped) this.#run(key);
        else if (this.#active.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
      });
    this.#active.set(key, p);
  }

  idle(): Promise<void> {
    if (this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending.clear();
    await Promise.allSettled([...this.#active.values()]);
  }
}
