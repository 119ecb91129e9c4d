// Fault injection for tests: latency, error responses at a rate or for a path, watch streams cut
// after N events or T ms, and a forced 410 Gone.

export interface FaultRule {
  /** HTTP method to match (any if unset) */
  method?: string;
  /** substring of the path, or a RegExp tested against path+query (any if unset) */
  path?: string | RegExp;
  /** match only watch requests (true) or only non-watch requests (false) */
  watch?: boolean;
  /** probability 0..1 that a matching request is hit (default 1) */
  rate?: number;
  /** stop after this many hits (unlimited if unset) */
  times?: number;
  /** delay before the request is handled (or before the error is sent) */
  latencyMs?: number;
  /** respond with this status instead of handling the request (e.g. 429, 500, 503) */
  status?: number;
  /** Retry-After header (seconds) for 429/503 */
  retryAfterSeconds?: number;
}

export interface WatchCut {
  path?: string | RegExp;
  /** close each watch after sending this many events */
  afterEvents?: number;
  /** close each watch after this long */
  afterMs?: number;
  /** 'destroy' resets the connection (default), 'end' closes the response cleanly */
  mode?: 'destroy' | 'end';
  /** apply to this many watches, then stop (unlimited if unset) */
  times?: number;
}

export interface FaultDecision {
  latencyMs: number;
  status?: number;
  retryAfterSeconds?: number;
}

interface Hooks {
  forceGone(): void;
}

function pathMatches(p: string | RegExp | undefined, url: string): boolean {
  if (p === undefined) return true;
  if (typeof p === 'string') return url.split('?')[0]?.includes(p) ?? false;
  return p.test(url);
}

export class Faults {
  private rules: { rule: FaultRule; hits: number }[] = [];
  private cuts: { cut: WatchCut; hits: number }[] = [];
  private readonly hooks: Hooks;
  /** Requests answered with an injected error, for assertions. */
  injected = 0;

  constructor(hooks: Hooks) {
    this.hooks = hooks;
  }

  /** Add a rule; returns a function that removes it. */
  add(rule: FaultRule): () => void {
    const entry = { rule, hits: 0 };
    this.rules.push(entry);
    return () => {
      this.rules = this.rules.filter((r) => r !== entry);
    };
  }

  latency(ms: number, match: Omit<FaultRule, 'latencyMs' | 'status'> = {}): () => void {
    return this.add({ ...match, latencyMs: ms });
  }

  error(status: number, match: Omit<FaultRule, 'status'> = {}): () => void {
    const rule: FaultRule = { ...match, status };
    if (status === 429 && rule.retryAfterSeconds === undefined) rule.retryAfterSeconds = 1;
    return this.add(rule);
  }

  cutWatches(cut: WatchCut): () => void {
    const entry = { cut, hits: 0 };
    this.cuts.push(entry);
    return () => {
      this.cuts = this.cuts.filter((c) => c !== entry);
    };
  }

  /** Compact the watch history: active watches get an ERROR 410 event, and so does any watch or
   * continue token from a resourceVersion before now. */
  forceGone(): void {
    this.hooks.forceGone();
  }

  clear(): void {
    this.rules = [];
    this.cuts = [];
  }

  /** @internal */
  decide(method: string, url: string, isWatch: boolean): FaultDecision {
    const d: FaultDecision = { latencyMs: 0 };
    for (const entry of this.rules) {
      const r = entry.rule;
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (r.watch !== undefined && r.watch !== isWatch) continue;
      if (!pathMatches(r.path, url)) continue;
      if (r.times !== undefined && entry.hits >= r.times) continue;
      if (r.rate !== undefined && Math.random() >= r.rate) continue;
      entry.hits++;
      d.latencyMs += r.latencyMs ?? 0;
      if (r.status !== undefined && d.status === undefined) {
        d.status = r.status;
        if (r.retryAfterSeconds !== undefined) d.retryAfterSeconds = r.retryAfterSeconds;
      }
    }
    if (d.status !== undefined) this.injected++;
    return d;
  }

  /** @internal the cut that applies to a new watch, if any */
  watchCut(url: string): WatchCut | undefined {
    for (const entry of this.cuts) {
      if (!pathMatches(entry.cut.path, url)) continue;
      if (entry.cut.times !== undefined && entry.hits >= entry.cut.times) continue;
      entry.hits++;
      return entry.cut;
    }
    return undefined;
  }
}
