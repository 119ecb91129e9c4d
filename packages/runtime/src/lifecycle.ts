import type { Logger } from '@po/telemetry';

export type Stop = () => Promise<void>;

/**
 * Owns a service's lifecycle: resources register their stop functions as they start, and a
 * SIGTERM/SIGINT stops them in reverse order (stop consuming before draining NATS before
 * closing the pool). A second signal, or a stop that hangs past the deadline, exits hard.
 */
export class Lifecycle {
  readonly #stops: { name: string; stop: Stop }[] = [];
  readonly #logger: Logger;
  #stopping: Promise<void> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(name: string, stop: Stop): void {
    this.#stops.push({ name, stop });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const { name, stop } of this.#stops.reverse()) {
        try {
          await stop();
          this.#logger.debug({ component: name }, 'stopped');
        } catch (err) {
          this.#logger.error({ err, component: name }, 'stop failed');
        }
      }
    })();
    return this.#stopping;
  }

  /** Wire signals to stop(); resolves when the service has stopped. */
  handleSignals(opts: { deadlineMs?: number } = {}): Promise<void> {
    return new Promise((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (this.#stopping) {
          this.#logger.warn({ signal }, 'second signal: exiting now');
          process.exit(1);
        }
        this.#logger.info({ signal }, 'shutting down');
        const timer = setTimeout(() => {
          this.#logger.error('shutdown deadline passed: exiting');
          process.exit(1);
        }, opts.deadlineMs ?? 25_000);
        timer.unref();
        void this.stop().then(resolve);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  }
}
