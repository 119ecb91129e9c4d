import type { V1Pod } from '@kubernetes/client-node';
import { context } from '@opentelemetry/api';
import { ANNOTATION_TRACEPARENT, LABEL_ATTEMPT, LABEL_PIPELINE_ID, LABEL_TEMPLATE } from '@po/contracts';
import { classifyKubeError, isNotFound, type LogFollow, type LogLine } from '@po/kube';
import { contextOf, type Logger, pipelineAttributes, withPipelineAttributes } from '@po/telemetry';

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
  /** Pause before attaching again (container not started yet, or a stream that ended early). */
  retryMs?: number;
  /** Consecutive failed attaches (other than "not started yet") after which a tail gives up. */
  maxFailures?: number;
  /**
   * A pod's tail attaches once its container has run this long (0: as soon as the pod is seen), or at
   * once when the pod is being deleted while its container has not ended. A pod that ends sooner is
   * not tailed: it stays until its Job is deleted, after the final capture has read its whole log.
   */
  attachAfterMs?: number;
  /**
   * With `attachAfterMs` > 0: a pod seen ended without a tail has its whole log read once (this, not
   * a stream: a read either returns the whole final log or fails) and stored right away, so its lines
   * are there about when its pipeline's status changes, and the final capture need not read it again.
   */
  read?(namespace: string, pod: string): Promise<LogLine[]>;
  /**
   * Live tails (open `follow` streams) at most (default: no cap). A pod due a tail while all are in
   * use waits, in the order pods became due; when a tail ends its slot goes to the pod that has
   * waited longest. A pod being deleted before its container ended gets a tail at once, over the cap:
   * its log goes with it. A pod that ends while it waits is read once whole (`read`) and by the final
   * capture, as a pod that ends before `attachAfterMs`: its lines are stored when it ends, not as it
   * prints them.
   */
  maxTails?: number;
  now?: () => number;
}

/** A young pod whose tail waits until its container has run `attachAfterMs`. */
interface Deferred {
  pod: V1Pod;
  /** When this process first saw the container running (its startedAt when the pod has one). */
  runningSince?: number;
  timer?: NodeJS.Timeout;
}

interface Tail {
  pipelineId: string;
  attempt: number;
  /** the newest version of the pod seen (null once it is deleted) */
  pod: V1Pod | null;
  follow?: LogFollow;
  done: Promise<void>;
  /** changes to the pod seen so far: one during an attach makes its answer stale */
  changes: number;
  /** cuts a pause short: the pod changed */
  wake?: () => void;
}

/**
 * Streams pods' logs into storage while they run, for followers and for pods ended from outside
 * (deadline, cancel, eviction): such a pod is removed once its containers exit, and what was not read
 * by then is lost. With `attachAfterMs` 0 a tail attaches as soon as the pod is seen (retried until
 * the container has started); with more, once the container has run that long, or at once when the
 * pod is being deleted before its container ended — a pod that ends sooner on its own stays until its
 * Job is deleted after the final capture, whose single read stores the same lines a tail would have.
 * The final capture reads the whole log again where it still can and waits for this tail where the
 * pod is gone (settle); offsets make the two overlap safely, and every replica's tail stores
 * idempotently. A pause between attaches is cut short by any change to the pod, including one that
 * arrived while the attach was on its way.
 */
export class LiveTail {
  readonly #o: LiveTailOptions;
  readonly #tails = new Map<string, Tail>();
  readonly #deferred = new Map<string, Deferred>();
  /** Pods due a tail that wait for a free slot (maxTails), oldest first; each is in #deferred too. */
  readonly #waiting = new Set<string>();
  /** Pods whose whole final log this process has stored (a read after the end), or is storing. */
  readonly #whole = new Map<string, { pipelineId: string; attempt: number; done: Promise<boolean> }>();
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
    const existing = this.#tails.get(name);
    if (existing) {
      existing.pod = pod;
      existing.changes++;
      existing.wake?.();
      return;
    }
    const wait = this.#attachIn(name, pod);
    if (wait === null) return;
    if (wait > 0) {
      const d = this.#deferred.get(name);
      if (d && !d.timer) d.timer = setTimeout(() => this.#attachDeferred(name), wait);
      return;
    }
    const max = this.#o.maxTails ?? Number.POSITIVE_INFINITY;
    if (this.#tails.size >= max && !pod.metadata?.deletionTimestamp) {
      const d = this.#deferred.get(name) ?? { pod };
      d.pod = pod;
      this.#deferred.set(name, d);
      this.#waiting.add(name);
      return;
    }
    this.#undefer(name);
    this.#start(name, namespace, pipelineId, attempt, pod);
  }

  /** Live tails open now, and pods waiting for one (maxTails). */
  get counts(): { tailing: number; waiting: number } {
    return { tailing: this.#tails.size, waiting: this.#waiting.size };
  }

  /** Gives free slots to the pods that have waited longest (each is looked at again: it may have ended). */
  #promote(): void {
    const max = this.#o.maxTails ?? Number.POSITIVE_INFINITY;
    for (const name of this.#waiting) {
      if (this.#stopped || this.#tails.size >= max) return;
      this.#waiting.delete(name);
      const d = this.#deferred.get(name);
      if (d) this.podChanged(d.pod);
    }
  }

  /**
   * When a pod without a tail gets one: 0 now, > 0 in that many ms (a young running container), null
   * not now (not started yet: a later change decides; or ended: the final capture reads it).
   */
  #attachIn(name: string, pod: V1Pod): number | null {
    const after = this.#o.attachAfterMs ?? 0;
    if (after <= 0) return 0;
    const d = this.#deferred.get(name) ?? { pod };
    d.pod = pod;
    this.#deferred.set(name, d);
    if (ended(pod)) {
      this.#undefer(name);
      this.#readWhole(name, pod);
      return null;
    }
    if (pod.metadata?.deletionTimestamp) return 0;
    const running = pod.status?.containerStatuses?.[0]?.state?.running;
    if (!running) return null;
    const now = (this.#o.now ?? Date.now)();
    const startedAt = running.startedAt ? new Date(running.startedAt).getTime() : Number.NaN;
    d.runningSince ??= Number.isFinite(startedAt) ? Math.min(startedAt, now) : now;
    return Math.max(0, d.runningSince + after - now);
  }

  #attachDeferred(name: string): void {
    const d = this.#deferred.get(name);
    if (!d) return;
    d.timer = undefined;
    this.podChanged(d.pod);
  }

  #undefer(name: string): void {
    this.#waiting.delete(name);
    const d = this.#deferred.get(name);
    if (d?.timer) clearTimeout(d.timer);
    this.#deferred.delete(name);
  }

  #start(name: string, namespace: string, pipelineId: string, attempt: number, pod: V1Pod): void {
    const tail: Tail = { pipelineId, attempt, pod, done: Promise.resolve(), changes: 0 };
    // The tail's requests (the `follow=true` stream, the stores) are children of the attempt's span,
    // which the pod's annotation names — not roots of traces of their own.
    const attempt_ = withPipelineAttributes(
      contextOf(pod.metadata?.annotations?.[ANNOTATION_TRACEPARENT]),
      pipelineAttributes({ pipelineId, attempt, template: pod.metadata?.labels?.[LABEL_TEMPLATE] }),
    );
    tail.done = context
      .with(attempt_, () => this.#run(namespace, name, tail))
      .catch((err) =>
        this.#o.logger.warn({ err, pod: name }, 'live tail failed; final capture will complete it'),
      )
      .finally(() => {
        this.#tails.delete(name);
        this.#promote();
      });
    this.#tails.set(name, tail);
  }

  /** One read of an ended pod's whole log, stored at offset 0 (once per pod and process). */
  #readWhole(name: string, pod: V1Pod): void {
    const read = this.#o.read;
    const namespace = pod.metadata?.namespace;
    const pipelineId = pod.metadata?.labels?.[LABEL_PIPELINE_ID];
    const attempt = Number(pod.metadata?.labels?.[LABEL_ATTEMPT]);
    if (!read || !namespace || !pipelineId || this.#whole.has(name) || !hasStarted(pod)) return;
    const ctx = withPipelineAttributes(
      contextOf(pod.metadata?.annotations?.[ANNOTATION_TRACEPARENT]),
      pipelineAttributes({ pipelineId, attempt, template: pod.metadata?.labels?.[LABEL_TEMPLATE] }),
    );
    const done = context.with(ctx, async () => {
      try {
        const lines = await read(namespace, name);
        await this.#o.store({ pipelineId, attempt, podName: name, offset: 0, lines });
        return true;
      } catch (err) {
        // The final capture reads it itself.
        this.#o.logger.debug({ err, pod: name }, 'reading an ended pod failed; the capture will read it');
        this.#whole.delete(name);
        return false;
      }
    });
    this.#whole.set(name, { pipelineId, attempt, done });
  }

  /**
   * True when this process has stored the pod's whole final log (waiting at most `timeoutMs` for a
   * read in flight): the final capture need not read it again.
   */
  async storedWhole(name: string, timeoutMs: number): Promise<boolean> {
    const w = this.#whole.get(name);
    if (!w || timeoutMs <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const r = await Promise.race([w.done, timeout]);
    clearTimeout(timer);
    return r;
  }

  podDeleted(pod: V1Pod): void {
    this.#undefer(pod.metadata?.name ?? '');
    this.#whole.delete(pod.metadata?.name ?? '');
    const tail = this.#tails.get(pod.metadata?.name ?? '');
    if (!tail) return;
    tail.pod = null;
    tail.changes++;
    tail.wake?.();
  }

  /**
   * Waits (at most `timeoutMs`) until this process's tails of an attempt's pods have ended and
   * stored what they read, except the pods named in `readable` (still there: the final capture reads
   * their whole log itself, and a running pod's tail ends only when the pod does).
   */
  async settle(pipelineId: string, attempt: number, readable: ReadonlySet<string>, timeoutMs: number) {
    const waits = [...this.#tails]
      .filter(([name, t]) => t.pipelineId === pipelineId && t.attempt === attempt && !readable.has(name))
      .map(([, t]) => t.done);
    if (waits.length === 0 || timeoutMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, timeoutMs);
    });
    await Promise.race([Promise.allSettled(waits), timeout]);
    clearTimeout(timer);
  }

  /** Attach, pump until the stream ends, and attach again until the container has ended for good. */
  async #run(namespace: string, name: string, tail: Tail): Promise<void> {
    const key = { pipelineId: tail.pipelineId, attempt: tail.attempt, podName: name };
    const maxFailures = this.#o.maxFailures ?? 20;
    const retryMs = this.#o.retryMs ?? 250;
    let failures = 0;
    let waited = 0;
    while (!this.#stopped) {
      let pauseMs = retryMs;
      let failed: string | undefined;
      // A change that lands while the attach is on its way (the container started, the pod was
      // deleted) has no pause to cut short yet: it must not be lost, or a pod that lives less than
      // the pause would be read by no one.
      const seen = tail.changes;
      const follow = this.#o.follow(namespace, name);
      tail.follow = follow;
      try {
        await this.#pump(follow, key);
        // Ended: the container exited, the pod went, or the stream was cut early (attach again).
        if (tail.pod === null || ended(tail.pod) || this.#stopped) return;
        failures = 0;
        waited = 0;
      } catch (err) {
        if (isNotFound(err)) return;
        const c = classifyKubeError(err);
        failed = c.reason;
        const waiting = /waiting to start/i.test(c.reason);
        if (!waiting && ++failures >= maxFailures) {
          this.#o.logger.warn({ pod: name, reason: c.reason, failures }, 'live tail gave up attaching');
          return;
        }
        if (waiting) {
          // A pod that stays unstarted is asked less and less often; a change to it wakes the tail.
          pauseMs = Math.min(retryMs * 2 ** waited, 20 * retryMs);
          waited++;
        } else {
          // The first failure of a run is worth a warning: lines not stored by the time the pod is
          // removed are lost (a read that failed, or a store that did).
          const level = failures === 1 ? 'warn' : 'debug';
          this.#o.logger[level](
            { pod: name, reason: c.reason, failures },
            'live tail failed; attaching again',
          );
        }
      }
      if (failed !== undefined && tail.changes !== seen) {
        this.#o.logger.debug(
          { pod: name, reason: failed, now: containerState(tail.pod) },
          'the pod changed while attaching; attaching again',
        );
      }
      await this.#pause(tail, pauseMs, seen);
    }
  }

  /** Waits `ms`, or until the pod changes; not at all if it already has since `seen`. */
  #pause(tail: Tail, ms: number, seen: number): Promise<void> {
    if (tail.changes !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        tail.wake = undefined;
        resolve();
      }
      tail.wake = done;
    });
  }

  async #pump(
    follow: LogFollow,
    key: { pipelineId: string; attempt: number; podName: string },
  ): Promise<void> {
    const flushMs = this.#o.flushMs ?? 250;
    const flushLines = this.#o.flushLines ?? 500;
    // Every attach reads the log from its first line: stores at offset 0 on skip what is stored.
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
    // A store that fails ends the stream at once, so the tail attaches again (reading from the first
    // line) while the pod is still there, rather than finding out when the pod has gone.
    let failed: { err: unknown } | undefined;
    const timer = setInterval(() => {
      if (Date.now() - last < flushMs) return;
      flush().catch((err: unknown) => {
        failed ??= { err };
        follow.abort();
      });
    }, flushMs);
    try {
      for await (const line of follow.lines) {
        batch.push(line);
        if (batch.length >= flushLines || Date.now() - last >= flushMs) await flush();
      }
      if (failed) throw failed.err;
      await flush();
    } finally {
      clearInterval(timer);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const name of [...this.#deferred.keys()]) this.#undefer(name);
    for (const t of this.#tails.values()) {
      t.follow?.abort();
      t.wake?.();
    }
    await Promise.allSettled([...this.#tails.values()].map((t) => t.done));
  }
}

/** What the pod's main container is doing, as last seen: `gone` once the pod is deleted. */
function containerState(pod: V1Pod | null): string {
  if (pod === null) return 'gone';
  const s = pod.status?.containerStatuses?.[0]?.state;
  return s?.running ? 'running' : s?.terminated ? 'terminated' : (s?.waiting?.reason ?? 'unscheduled');
}

/** The pod's main container has started (or ended): there is a log to read (the API answers 400 before). */
function hasStarted(pod: V1Pod): boolean {
  const s = pod.status?.containerStatuses?.[0]?.state;
  return Boolean(s?.running || s?.terminated);
}

/** The pod's main container has exited for good (restartPolicy Never), or the pod is being deleted and its containers are done. */
function ended(pod: V1Pod): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  const phase = pod.status?.phase;
  return (
    phase === 'Succeeded' ||
    phase === 'Failed' ||
    (statuses.length > 0 && statuses.every((s) => s.state?.terminated))
  );
}
