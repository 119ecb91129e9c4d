import { isTerminal } from '@po/contracts';
import { type Database, getPipeline, type Pipeline, type PipelineAttempt } from '@po/db';
import type { Kysely } from 'kysely';
import { type LogLineRow, listAttempts, readLogs } from '../store/pipelines.ts';
import type { Clock, Logger } from '../types.ts';

/** What one poll of a pipeline found, given to every follower of it. */
export interface FeedUpdate {
  /** New lines since the previous update (ids ascending). */
  rows: LogLineRow[];
  pipeline: Pipeline;
  /** Set once the pipeline has ended and its logs are stored (or the capture wait ran out). */
  ended?: { attempts: PipelineAttempt[] };
}

export type FeedListener = (u: FeedUpdate) => void;

export interface LogFeedOptions {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  pollMs: number;
  /** After the pipeline ends, how long to wait for the log-collector's final capture. */
  finalCaptureWaitMs: number;
  /** Lines read per query. */
  maxLines: number;
}

export interface FeedSubscription {
  /**
   * Lets the feed run. The first follower of a pipeline gives the id after which the feed reads (the
   * last line of its own backlog, read after subscribing); a feed already running keeps its place.
   */
  start(cursor: string | undefined): void;
  unsubscribe(): void;
}

/**
 * One poller per followed pipeline, shared by all of its followers: a poll is at most three short
 * queries whatever the number of followers, and no follower holds a pool connection while it
 * waits. A follower subscribes first, then reads its own backlog, so every line reaches it either
 * in the backlog or in an update (it drops ids it has sent). The poller stops with the last follower.
 */
export class LogFeeds {
  readonly #o: LogFeedOptions;
  readonly #feeds = new Map<string, Feed>();

  constructor(o: LogFeedOptions) {
    this.#o = o;
  }

  /** Listens to a pipeline's new lines and status. */
  subscribe(pipelineId: string, listener: FeedListener): FeedSubscription {
    let feed = this.#feeds.get(pipelineId);
    if (!feed) {
      const created = new Feed(this.#o, pipelineId, () => {
        if (this.#feeds.get(pipelineId) === created) this.#feeds.delete(pipelineId);
      });
      this.#feeds.set(pipelineId, created);
      feed = created;
    }
    const f = feed;
    const unsubscribe = f.add(listener);
    return { start: (cursor) => f.start(cursor), unsubscribe };
  }

  /** Pipelines polled now (for tests and metrics). */
  get size(): number {
    return this.#feeds.size;
  }
}

class Feed {
  readonly #o: LogFeedOptions;
  readonly #id: string;
  readonly #listeners = new Set<FeedListener>();
  readonly #onIdle: () => void;
  #cursor: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #endedAt: number | undefined;
  #started = false;
  #stopped = false;

  constructor(o: LogFeedOptions, id: string, onIdle: () => void) {
    this.#o = o;
    this.#id = id;
    this.#onIdle = onIdle;
  }

  start(cursor: string | undefined): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#cursor = cursor;
    this.#schedule(this.#o.pollMs);
  }

  add(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  #stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#onIdle();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#poll(), ms);
  }

  async #poll(): Promise<void> {
    try {
      const u = await this.#read();
      if (u) for (const l of [...this.#listeners]) l(u);
      if (u?.ended) return this.#stop();
      // A full page means more is waiting: read on at once.
      this.#schedule(u && u.rows.length >= this.#o.maxLines ? 0 : this.#o.pollMs);
    } catch (err) {
      this.#o.logger.warn({ err, pipeline_id: this.#id }, 'log feed poll failed');
      this.#schedule(this.#o.pollMs);
    }
  }

  async #read(): Promise<FeedUpdate | undefined> {
    const { db } = this.#o;
    const rows = await readLogs(db, { pipelineId: this.#id, afterId: this.#cursor, limit: this.#o.maxLines });
    const last = rows.at(-1);
    if (last) this.#cursor = last.id;
    const pipeline = await getPipeline(db, this.#id);
    if (!pipeline) return undefined;
    if (!isTerminal(pipeline.status) || rows.length >= this.#o.maxLines) return { rows, pipeline };
    const attempts = await listAttempts(db, pipeline.id);
    const current = attempts.find((a) => a.attempt === pipeline.attempt);
    const now = this.#o.clock.now().getTime();
    this.#endedAt ??= now;
    const settled =
      current === undefined ||
      current.logs_captured_at !== null ||
      now - this.#endedAt >= this.#o.finalCaptureWaitMs;
    if (!settled) return { rows, pipeline };
    // One last read: lines stored together with the capture mark.
    const tail = await readLogs(db, { pipelineId: this.#id, afterId: this.#cursor, limit: this.#o.maxLines });
    return { rows: [...rows, ...tail], pipeline, ended: { attempts } };
  }
}

/** How many SSE followers each tenant has open in this gateway, capped. */
export class FollowerSlots {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(maxPerTenant: number) {
    this.#max = maxPerTenant;
  }

  /** A slot for the tenant (call the returned function once when the stream ends), or null when full. */
  acquire(tenantId: string): (() => void) | null {
    const n = this.#open.get(tenantId) ?? 0;
    if (n >= this.#max) return null;
    this.#open.set(tenantId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(tenantId) ?? 1) - 1;
      if (left <= 0) this.#open.delete(tenantId);
      else this.#open.set(tenantId, left);
    };
  }

  get max(): number {
    return this.#max;
  }
}
