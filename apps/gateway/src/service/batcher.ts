export interface BatcherOptions<I, O> {
  /** Runs one batch; resolves with one settled result per item, in the items' order. */
  run(items: I[]): Promise<PromiseSettledResult<O>[]>;
  /** Most items in one batch. */
  maxBatch?: number;
  /** Most batches running at once; items submitted while all are busy wait and go in the next one. */
  maxInFlight?: number;
  /**
   * How long a batch waits for company when a slot is free: 0 (default) sends whatever arrived in the
   * same event-loop turn, so an idle system adds no delay; under load the batches grow by themselves
   * while the slots are busy.
   */
  lingerMs?: number;
}

interface Waiter<I, O> {
  item: I;
  resolve(value: O): void;
  reject(reason: unknown): void;
}

/**
 * Coalesces concurrent calls into batches (application-level group commit): each `submit` resolves
 * with its own item's result or rejects with its own item's error; a batch that fails as a whole
 * rejects each of its callers with that error.
 */
export class Batcher<I, O> {
  readonly #run: BatcherOptions<I, O>['run'];
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #lingerMs: number;
  #queue: Waiter<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(opts: BatcherOptions<I, O>) {
    this.#run = opts.run;
    this.#maxBatch = Math.max(1, opts.maxBatch ?? 64);
    this.#maxInFlight = Math.max(1, opts.maxInFlight ?? 4);
    this.#lingerMs = Math.max(0, opts.lingerMs ?? 0);
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#inFlight >= this.#maxInFlight) return; // the next finishing batch takes it
      if (this.#queue.length >= this.#maxBatch) this.#flush();
      else this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const fire = () => {
      this.#scheduled = false;
      this.#drain();
    };
    if (this.#lingerMs > 0) setTimeout(fire, this.#lingerMs);
    else setImmediate(fire);
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) this.#flush();
  }

  #flush(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    this.#inFlight += 1;
    let results: Promise<PromiseSettledResult<O>[]>;
    try {
      results = this.#run(batch.map((w) => w.item));
    } catch (err) {
      results = Promise.reject(err);
    }
    results
      .then(
        (settled) => {
          batch.forEach((w, i) => {
            const r = settled[i];
            if (!r) w.reject(new Error('batch returned no result for this item'));
            else if (r.status === 'fulfilled') w.resolve(r.value);
            else w.reject(r.reason);
          });
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      )
      .finally(() => {
        this.#inFlight -= 1;
        // Whatever queued meanwhile has waited long enough: send it now.
        this.#drain();
      });
  }
}
