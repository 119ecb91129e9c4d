import type { V1Pod } from '@kubernetes/client-node';
import { LABEL_ATTEMPT, LABEL_PIPELINE_ID } from '@po/contracts';
import type { LogFollow, LogLine } from '@po/kube';
import type { Logger } from '@po/telemetry';

export interface LiveTailOptions {
  logger: Logger;
  follow(namespace: string, pod: string): LogFollow;
  /** Stores lines[0..] as the pod's lines from index `offset` on (idempotent on overlap). */
  store(req: {
    pipelineId: string;
    attempt: number;
    podName: string;
    offset: number;
    lines: LogLine[];
  }): Promise<void>;
  flushMs?: number;
  flushLines?: number;
}

interface Tail {
  follow: LogFollow;
  done: Promise<void>;
}

/**
 * Streams running pods' logs into storage while they run, so `GET /pipelines/:id/logs?follow=true`
 * can show lines as they are printed. It only makes logs visible early: the final capture after the
 * attempt ends reads the whole log again and fills in whatever this missed (offsets make the two
 * overlap safely), so a restart or a dropped stream here loses nothing.
 */
export class LiveTail {
  readonly #o: LiveTailOptions;
  readonly #tails = new Map<string, Tail>();
  #stopped = false;

  constructor(opts: LiveTailOptions) {
    this.#o = opts;
  }

  podChanged(pod: V1Pod): void {
    const name = pod.metadata?.name;
    const namespace = pod.metadata?.namespace;
    const pipelineId = pod.metadata?.labels?.[LABEL_PIPELINE_ID];
    const attempt = Number(pod.metadata?.labels?.[LABEL_ATTEMPT]);
    if (this.#stopped || !name || !namespace || !pipelineId || !Number.isInteger(attempt)) return;
    if (this.#tails.has(name) || !pod.status?.containerStatuses?.[0]?.state?.running) return;
    const follow = this.#o.follow(namespace, name);
    const done = this.#pump(follow, { pipelineId, attempt, podName: name })
      .catch((err) =>
        this.#o.logger.debug({ err, pod: name }, 'live tail ended early; final capture will complete it'),
      )
      .finally(() => this.#tails.delete(name));
    this.#tails.set(name, { follow, done });
  }

  async #pump(
    follow: LogFollow,
    key: { pipelineId: string; attempt: number; podName: string },
  ): Promise<void> {
    const flushMs = this.#o.flushMs ?? 250;
    const flushLines = this.#o.flushLines ?? 500;
    let offset = 0;
    let batch: LogLine[] = [];
    let last = Date.now();
    // Flushes run one after another: each stores at the offset the previous one reached.
    let chain = Promise.resolve();
    const flush = () => {
      chain = chain.then(async () => {
        if (batch.length === 0) return;
        const lines = batch;
        batch = [];
        last = Date.now();
        await this.#o.store({ ...key, offset, lines });
        offset += lines.length;
      });
      return chain;
    };
    // Flushes on size or age as lines arrive; a quiet pod's last lines are flushed by the timer.
    const timer = setInterval(() => {
      if (Date.now() - last >= flushMs) void flush().catch(() => {});
    }, flushMs);
    try {
      for await (const line of follow.lines) {
        batch.push(line);
        if (batch.length >= flushLines || Date.now() - last >= flushMs) await flush();
      }
      await flush();
    } finally {
      clearInterval(timer);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#tails.values()) t.follow.abort();
    await Promise.allSettled([...this.#tails.values()].map((t) => t.done));
  }
}
