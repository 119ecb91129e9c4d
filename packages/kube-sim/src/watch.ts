// Watch streams: newline-delimited JSON events from a resourceVersion, filtered by namespace and
// selectors, with bookmarks, timeoutSeconds and 410 Gone (as an ERROR event, like the real server).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matches, matchesEntry } from './cluster.ts';
import type { WatchCut } from './faults.ts';
import { toJson } from './json.ts';
import type { ResourceInfo } from './resources.ts';
import { apiVersionOf } from './resources.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';
import { gone } from './status.ts';
import type { Entry, Store, StoreEvent } from './store.ts';
import type { KubeObject } from './types.ts';

export interface WatchParams {
  info: ResourceInfo;
  ns: string | undefined;
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
  resourceVersion: string | undefined;
  timeoutSeconds: number | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  cut: WatchCut | undefined;
  bookmarkIntervalMs: number;
}

export interface ActiveWatch {
  /** Send a 410 ERROR event and end. */
  expire(message: string): void;
  close(): void;
}

/** The event's object as JSON, serialized once per event and shared by every watcher. */
function objectJson(store: Store, e: StoreEvent): string {
  if (e.json === undefined) {
    const en = e.entry;
    // While the event is its entry's current version, the entry keeps the JSON (for GET/list).
    e.json = en && en.obj === e.object ? store.jsonOf(en) : toJson(e.object);
  }
  return e.json;
}

export function serveWatch(
  store: Store,
  req: IncomingMessage,
  res: ServerResponse,
  p: WatchParams,
  registry: Set<ActiveWatch>,
): void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  const socket = req.socket;
  socket.setNoDelay(true);
  let sent = 0;
  let closed = false;
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe: (() => void) | undefined;

  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    res.uncork();
  };
  const finish = (destroy = false) => {
    if (closed) return;
    closed = true;
    uncork();
    unsubscribe?.();
    for (const t of timers) clearTimeout(t);
    registry.delete(handle);
    if (destroy) socket.destroy();
    else res.end();
  };
  const write = (line: string) => {
    if (closed) return;
    // Events of one tick leave in one write (cork until the next tick).
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    res.write(line);
    sent++;
    if (p.cut?.afterEvents !== undefined && sent >= p.cut.afterEvents) finish(p.cut.mode !== 'end');
  };
  const handle: ActiveWatch = {
    expire(message) {
      write(`${toJson({ type: 'ERROR', object: gone(message).toStatus() })}\n`);
      finish();
    },
    close() {
      finish(true);
    },
  };
  registry.add(handle);
  res.on('close', () => finish());

  const relevant = (o: KubeObject | undefined) =>
    !!o &&
    (p.ns === undefined || o.metadata.namespace === p.ns) &&
    matches(o, p.labelSelector, p.fieldSelector);

  const deliver = (e: StoreEvent) => {
    if (e.resource !== p.info.resource) return;
    const now = relevant(e.object);
    let type: string | undefined;
    if (e.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (e.type === 'DELETED') type = relevant(e.prev ?? e.object) ? 'DELETED' : undefined;
    else {
      const before = relevant(e.prev);
      if (now && before) type = 'MODIFIED';
      else if (now) type = 'ADDED';
      else if (before) type = 'DELETED';
    }
    if (!type) return;
    if (type !== e.type) write(`{"type":"${type}","object":${objectJson(store, e)}}\n`);
    else {
      e.line ??= `{"type":"${type}","object":${objectJson(store, e)}}\n`;
      write(e.line);
    }
  };

  const rvParam = p.resourceVersion;
  const fromScratch = rvParam === undefined || rvParam === '' || rvParam === '0';
  const initial = p.sendInitialEvents ?? fromScratch;
  if (fromScratch || p.sendInitialEvents) {
    if (initial) {
      const entries: Entry[] = [];
      for (const e of store.entries(p.info.resource, p.ns)) {
        if (matchesEntry(store, e, p.labelSelector, p.fieldSelector)) entries.push(e);
      }
      entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const e of entries) write(`{"type":"ADDED","object":${store.jsonOf(e)}}\n`);
    }
    if (p.sendInitialEvents && p.allowBookmarks) {
      const bm = {
        kind: p.info.kind,
        apiVersion: apiVersionOf(p.info),
        metadata: {
          resourceVersion: String(store.resourceVersion),
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      };
      write(`${toJson({ type: 'BOOKMARK', object: bm })}\n`);
    }
  } else {
    const rv = Number(rvParam);
    const backlog = Number.isFinite(rv) ? store.since(rv) : 'gone';
    if (backlog === 'gone') {
      handle.expire(`too old resource version: ${rvParam} (${store.oldestValidRv})`);
      return;
    }
    for (const e of backlog) deliver(e);
  }
  if (closed) return;
  unsubscribe = store.subscribe(deliver);

  if (p.timeoutSeconds !== undefined && p.timeoutSeconds > 0) {
    timers.push(setTimeout(() => finish(), p.timeoutSeconds * 1000));
  }
  if (p.cut?.afterMs !== undefined) {
    const destroy = p.cut.mode !== 'end';
    timers.push(setTimeout(() => finish(destroy), p.cut.afterMs));
  }
  if (p.allowBookmarks) {
    const tick = () => {
      if (closed) return;
      const bm = {
        kind: p.info.kind,
        apiVersion: apiVersionOf(p.info),
        metadata: { resourceVersion: String(store.resourceVersion) },
      };
      write(`${toJson({ type: 'BOOKMARK', object: bm })}\n`);
      timers.push(setTimeout(tick, p.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, p.bookmarkIntervalMs));
  }
}
