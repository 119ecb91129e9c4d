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
  readonly #stopWithParent: boolean;
  #stopping: Promise<void> | undefined;

  /** stopWithParent: also stop when stdin closes (a supervising parent holds it, and is gone). */
  constructor(logger: Logger, opts: { stopWithParent?: boolean } = {}) {
    this.#logger = logger;
    this.#stopWithParent = opts.stopWithParent ?? false;
  }

  add(name: string, stop: Stop): void {
    if (this.#stopping) {
      // Started while stopping (a signal came during start-up): stop it at once.
      void stop().catch((err: unknown) => this.#logger.error({ err, component: name }, 'stop failed'));
      return;
    }
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

  #stopped: Promise<void> | undefined;

  /**
   * Wire signals (and, with stopWithParent, the end of stdin) to stop(); resolves when stopped.
   * Call it as soon as the lifecycle exists: a signal during start-up (a connection that never
   * comes, a supervisor gone) must stop what has started so far, not be ignored. Calling it again
   * returns the same promise.
   */
  handleSignals(opts: { deadlineMs?: number } = {}): Promise<void> {
    if (this.#stopped) return this.#stopped;
    const stopped = new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals | 'parent gone') => {
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
      if (this.#stopWithParent) {
        process.stdin.on('end', () => onSignal('parent gone'));
        process.stdin.on('error', () => onSignal('parent gone'));
        process.stdin.resume();
      }
    });
    // An open stdin would keep the process alive after everything else has stopped.
    this.#stopped = this.#stopWithParent ? stopped.finally(() => process.stdin.destroy()) : stopped;
    return this.#stopped;
  }
}
