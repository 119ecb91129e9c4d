// The cluster state: objects per resource, one global resourceVersion counter, a bounded event
// history (past which a watch gets 410 Gone), an owner index for garbage collection and a label
// index for the job-name lookups controllers do.
//
// Memory: an object is kept parsed ("hot") while it changes or is read; an object untouched for
// two sweeps is kept only as its serialized JSON, in a Buffer outside the V8 heap ("cold"), and
// parsed again on the next read. The JSON of the current version is computed at most once and
// shared by GET, list and watch; a cold object is served from its Buffer as is.

import { escapeLineTerminators, toJson } from './json.ts';
import type { KubeObject } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One stored object: always its identity and labels, the object and/or its JSON. */
export interface Entry {
  readonly resource: string;
  readonly key: string;
  readonly ns: string | undefined;
  readonly name: string;
  readonly uid: string;
  rv: number;
  labels: Record<string, string> | undefined;
  /** uids of owners (ownerReferences) */
  owners: string[];
  obj: KubeObject | undefined;
  /** JSON of the current version, once computed (hot) */
  json: string | undefined;
  /** JSON of the current version, UTF-8, for a cold entry (outside the V8 heap) */
  buf: Buffer | undefined;
  /** index entries (label "k=v") this entry is registered under */
  indexed: string[];
}

export interface StoreEvent {
  type: EventType;
  rv: number;
  resource: string;
  object: KubeObject;
  /** The previous state, for MODIFIED (lets a filtered watch turn it into ADDED/DELETED). */
  prev?: KubeObject;
  /** Cached JSON of `object`, shared by every watcher. */
  json?: string;
  /** Cached watch line for `type`, shared by every watcher. */
  line?: string;
  /** The entry, while this event is its current version (its JSON is then cached there too). */
  entry?: Entry;
}

export type Listener = (e: StoreEvent) => void;

/**
 * An event whose object exists only as JSON (a core/v1 Event created cold, or the deletion of a
 * cold entry): the object is parsed on first access, so listeners that only look at `resource`,
 * `type` or the identity fields below never parse it.
 */
export class ColdEvent implements StoreEvent {
  readonly type: EventType;
  readonly rv: number;
  readonly resource: string;
  readonly uid: string;
  readonly ns: string | undefined;
  /** owner uids */
  readonly owners: string[];
  json?: string;
  line?: string;
  entry?: Entry;
  private src: string | Buffer | undefined;
  private parsed: KubeObject | undefined;

  constructor(
    type: EventType,
    rv: number,
    resource: string,
    e: Entry,
    src: string | Buffer,
    owners: string[] = e.owners,
  ) {
    this.type = type;
    this.rv = rv;
    this.resource = resource;
    this.uid = e.uid;
    this.ns = e.ns;
    this.owners = owners;
    this.src = src;
  }

  get object(): KubeObject {
    let o = this.parsed;
    if (!o) {
      const src = this.src;
      o = JSON.parse(typeof src === 'string' ? src : (src?.toString('utf8') ?? '{}')) as KubeObject;
      o.metadata.resourceVersion = String(this.rv);
      this.parsed = o;
      this.src = undefined;
    }
    return o;
  }
}

export function objKey(ns: string | undefined, name: string): string {
  return ns ? `${ns}/${name}` : name;
}

/** Label keys with an exact-match index (the Job controller's and our watcher's pod lookups). */
export const INDEXED_LABELS: readonly string[] = ['batch.kubernetes.io/job-name', 'job-name'];

function ownerUids(o: KubeObject): string[] {
  const refs = o.metadata.ownerReferences;
  if (!refs || refs.length === 0) return NO_OWNERS;
  return refs.map((r) => r.uid);
}
const NO_OWNERS: string[] = [];

function indexKeys(labels: Record<string, string> | undefined): string[] {
  if (!labels) return NO_OWNERS;
  const out: string[] = [];
  for (const k of INDEXED_LABELS) {
    const v = labels[k];
    if (v !== undefined) out.push(`${k}=${v}`);
  }
  return out.length > 0 ? out : NO_OWNERS;
}

/**
 * Cold JSON lives in slabs: large Buffers that many entries share, each entry holding a view of
 * its bytes. One small Buffer per object (the previous layout) cost an ArrayBuffer, a backing
 * store and a malloc chunk each, and freeing them in a different order than they were allocated
 * left the malloc heap fragmented (~100 MB of [heap] for ~55 MB of JSON at 30,000 objects). A slab
 * whose bytes are mostly dead is compacted: its live entries are copied to the current slab and
 * the slab is freed once no view (a list being streamed, say) refers to it any more.
 */
const SLAB_SIZE = 256 * 1024;

interface Slab {
  readonly buf: Buffer;
  used: number;
  dead: number;
  /** entries whose cold JSON was written here (some may have moved or gone since) */
  readonly entries: Entry[];
}

class SlabArena {
  private cur: Slab | undefined;
  private readonly slabs = new Map<ArrayBufferLike, Slab>();

  /** A view of `s` as UTF-8 in a slab (or in a Buffer of its own when it is large). */
  put(e: Entry, s: string | Buffer): Buffer {
    const n = typeof s === 'string' ? Buffer.byteLength(s) : s.length;
    if (n > SLAB_SIZE >> 2) {
      // Large: a Buffer of its own, not carved from Node's shared 8 KiB pool.
      const b = Buffer.allocUnsafeSlow(n);
      if (typeof s === 'string') b.write(s);
      else s.copy(b);
      return b;
    }
    let c = this.cur;
    if (!c || c.used + n > SLAB_SIZE) {
      c = { buf: Buffer.allocUnsafeSlow(SLAB_SIZE), used: 0, dead: 0, entries: [] };
      this.slabs.set(c.buf.buffer, c);
      this.cur = c;
    }
    const off = c.used;
    if (typeof s === 'string') c.buf.write(s, off);
    else s.copy(c.buf, off);
    c.used += n;
    c.entries.push(e);
    return c.buf.subarray(off, off + n);
  }

  /** An entry's cold bytes are no longer used: count them dead, compact a mostly dead slab. */
  free(b: Buffer) {
    const c = this.slabs.get(b.buffer);
    if (!c) return;
    c.dead += b.length;
    if (c === this.cur || c.dead * 2 < c.used) return;
    this.slabs.delete(c.buf.buffer);
    for (const e of c.entries) {
      const eb = e.buf;
      if (eb && eb.buffer === c.buf.buffer) e.buf = this.put(e, eb);
    }
  }
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * key -> entries, holding a lone entry as itself: nearly every key (a Job's uid, a job-name label)
 * has one entry, and a Set per key cost ~200 bytes (~6 MB at 10,000 Jobs).
 */
class MultiIndex {
  private readonly m = new Map<string, Entry | Set<Entry>>();

  get(k: string): Iterable<Entry> {
    const v = this.m.get(k);
    if (v === undefined) return NO_ENTRIES;
    return v instanceof Set ? v : [v];
  }

  has(k: string): boolean {
    return this.m.has(k);
  }

  add(k: string, e: Entry) {
    const v = this.m.get(k);
    if (v === undefined) this.m.set(k, e);
    else if (v instanceof Set) v.add(e);
    else if (v !== e) this.m.set(k, new Set([v, e]));
  }

  delete(k: string, e: Entry) {
    const v = this.m.get(k);
    if (v === e) this.m.delete(k);
    else if (v instanceof Set) {
      v.delete(e);
      if (v.size === 1) for (const only of v) this.m.set(k, only);
      else if (v.size === 0) this.m.delete(k);
    }
  }
}
const NO_ENTRIES: readonly Entry[] = [];

interface Table {
  all: Map<string, Entry>;
  /** namespace -> entries */
  byNs: Map<string, Map<string, Entry>>;
  /** "label=value" -> entries */
  byLabel: MultiIndex;
}

export class Store {
  private rvCounter = 0;
  private readonly tables = new Map<string, Table>();
  private history: StoreEvent[] = [];
  private readonly historySize: number;
  /** Highest resourceVersion no longer covered by history: watches from below it get 410. */
  private compactedRv = 0;
  private readonly listeners = new Set<Listener>();
  /** owner uid -> dependents */
  private readonly ownerIndex = new MultiIndex();
  /** uid -> entry */
  private readonly uidIndex = new Map<string, Entry>();
  /** entries touched since the last sweep, and during the sweep before */
  private hotNow = new Set<Entry>();
  private hotPrev = new Set<Entry>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly arena = new SlabArena();
  /** Entries turned cold since the last idle GC. */
  private demotedSinceGc = 0;

  constructor(historySize = 1_000) {
    this.historySize = Math.max(1, historySize);
  }

  get resourceVersion(): number {
    return this.rvCounter;
  }

  get oldestValidRv(): number {
    return this.compactedRv;
  }

  /** Turn objects untouched for two sweeps into JSON only, every `intervalMs`. */
  startSweeper(intervalMs = 1_000) {
    this.stopSweeper();
    this.sweeper = setInterval(() => this.sweep(), intervalMs);
    this.sweeper.unref();
  }

  stopSweeper() {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** One sweep (exposed for tests). */
  sweep() {
    for (const e of this.hotPrev) {
      if (this.hotNow.has(e)) continue;
      if (!e.buf) e.buf = this.arena.put(e, e.json ?? toJson(e.obj));
      e.obj = undefined;
      e.json = undefined;
      this.demotedSinceGc++;
    }
    const quiet = this.hotNow.size === 0 && this.hotPrev.size === 0;
    this.hotPrev = this.hotNow;
    this.hotNow = new Set();
    if (quiet) this.collectIfWorthIt();
  }

  /**
   * Once quiet after a burst, a full GC: the object graphs of the entries that went cold are garbage
   * in the old generation, which V8 would otherwise keep (and its heap size with it) until the next
   * burst — Node gives V8 no idle notifications. Only where gc() is exposed (the CLI runs with
   * --expose-gc; a test process keeps its own flags).
   */
  private collectIfWorthIt() {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc || this.demotedSinceGc < 1_000) return;
    this.demotedSinceGc = 0;
    gc();
  }

  private touch(e: Entry) {
    this.hotNow.add(e);
  }

  private table(resource: string): Table {
    let t = this.tables.get(resource);
    if (!t) {
      t = { all: new Map(), byNs: new Map(), byLabel: new MultiIndex() };
      this.tables.set(resource, t);
    }
    return t;
  }

  /** The object of an entry (parsed again if it went cold). Never mutate it. */
  objectOf(e: Entry): KubeObject {
    let o = e.obj;
    if (!o) {
      o = this.peek(e);
      e.obj = o;
    }
    this.touch(e);
    return o;
  }

  /** The object of an entry for a one-off look (a cold one is parsed but not kept). */
  peek(e: Entry): KubeObject {
    return e.obj ?? (JSON.parse(e.json ?? e.buf?.toString('utf8') ?? '{}') as KubeObject);
  }

  /** The JSON of an entry's current version (a string, or the cold Buffer), computed at most once. */
  bodyOf(e: Entry): string | Buffer {
    if (e.json !== undefined) return e.json;
    if (e.buf !== undefined) return e.buf;
    e.json = toJson(e.obj);
    return e.json;
  }

  /** The JSON of an entry's current version as a string. */
  jsonOf(e: Entry): string {
    const b = this.bodyOf(e);
    return typeof b === 'string' ? b : b.toString('utf8');
  }

  entry(resource: string, ns: string | undefined, name: string): Entry | undefined {
    return this.tables.get(resource)?.all.get(objKey(ns, name));
  }

  get(resource: string, ns: string | undefined, name: string): KubeObject | undefined {
    const e = this.entry(resource, ns, name);
    return e ? this.objectOf(e) : undefined;
  }

  count(resource: string): number {
    return this.tables.get(resource)?.all.size ?? 0;
  }

  /** All entries of a resource, optionally in one namespace (unsorted). */
  entries(resource: string, ns?: string): Iterable<Entry> {
    const t = this.tables.get(resource);
    if (!t) return [];
    if (ns === undefined) return t.all.values();
    return t.byNs.get(ns)?.values() ?? [];
  }

  /**
   * Entries that may carry these exact labels: from the label index when one of them is indexed
   * (the caller still matches the whole selector), otherwise undefined.
   */
  candidates(resource: string, eq: { key: string; value: string }[]): Iterable<Entry> | undefined {
    const t = this.tables.get(resource);
    for (const r of eq) {
      if (!INDEXED_LABELS.includes(r.key)) continue;
      return t?.byLabel.get(`${r.key}=${r.value}`) ?? NO_ENTRIES;
    }
    return undefined;
  }

  /** All objects of a resource, optionally in one namespace (unsorted). */
  *list(resource: string, ns?: string): Iterable<KubeObject> {
    for (const e of this.entries(resource, ns)) yield this.objectOf(e);
  }

  /** Objects (any resource) whose ownerReferences name this uid. */
  dependents(uid: string): { resource: string; object: KubeObject }[] {
    const out: { resource: string; object: KubeObject }[] = [];
    for (const e of this.ownerIndex.get(uid)) out.push({ resource: e.resource, object: this.objectOf(e) });
    return out;
  }

  hasDependents(uid: string): boolean {
    return this.ownerIndex.has(uid);
  }

  byUidEntry(uid: string): Entry | undefined {
    return this.uidIndex.get(uid);
  }

  byUid(uid: string): { resource: string; object: KubeObject } | undefined {
    const e = this.uidIndex.get(uid);
    return e ? { resource: e.resource, object: this.objectOf(e) } : undefined;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private setOwners(e: Entry, next: string[]) {
    if (sameList(e.owners, next)) return;
    for (const uid of e.owners) this.ownerIndex.delete(uid, e);
    for (const uid of next) this.ownerIndex.add(uid, e);
    e.owners = next;
  }

  private setIndexed(t: Table, e: Entry, next: string[]) {
    if (sameList(e.indexed, next)) return;
    for (const k of e.indexed) t.byLabel.delete(k, e);
    for (const k of next) t.byLabel.add(k, e);
    e.indexed = next;
  }

  private emit(e: StoreEvent) {
    this.history.push(e);
    // Drop the oldest quarter at once (amortized O(1) per event).
    if (this.history.length >= this.historySize + Math.max(1, this.historySize >> 2)) {
      const drop = this.history.length - this.historySize;
      const last = this.history[drop - 1];
      if (last) this.compactedRv = last.rv;
      this.history = this.history.slice(drop);
    }
    for (const l of this.listeners) l(e);
    // The JSON stays on the entry (for GET/list); the history keeps just the object.
    e.json = undefined;
    e.line = undefined;
    e.entry = undefined;
  }

  private stamp(o: KubeObject): number {
    this.rvCounter++;
    o.metadata.resourceVersion = String(this.rvCounter);
    return this.rvCounter;
  }

  /** Puts a new entry in its resource's table, by key and by namespace. */
  private place(t: Table, e: Entry) {
    t.all.set(e.key, e);
    if (e.ns === undefined) return;
    let m = t.byNs.get(e.ns);
    if (!m) {
      m = new Map();
      t.byNs.set(e.ns, m);
    }
    m.set(e.key, e);
  }

  /** Insert a new object (caller has checked it does not exist). Takes ownership of `o`. */
  create(resource: string, o: KubeObject): KubeObject {
    const ns = o.metadata.namespace;
    const name = o.metadata.name ?? '';
    const key = objKey(ns, name);
    const rv = this.stamp(o);
    const t = this.table(resource);
    const e: Entry = {
      resource,
      key,
      ns,
      name,
      uid: o.metadata.uid ?? '',
      rv,
      labels: o.metadata.labels,
      owners: NO_OWNERS,
      obj: o,
      json: undefined,
      buf: undefined,
      indexed: NO_OWNERS,
    };
    this.place(t, e);
    this.setOwners(e, ownerUids(o));
    this.setIndexed(t, e, indexKeys(o.metadata.labels));
    if (e.uid) this.uidIndex.set(e.uid, e);
    this.touch(e);
    this.emit({ type: 'ADDED', rv, resource, object: o, entry: e });
    return o;
  }

  /**
   * Insert a new object given as JSON only (caller has checked it does not exist): it is stored
   * cold at once and never parsed unless someone reads it. `build` gets the resourceVersion.
   */
  createCold(
    resource: string,
    ns: string | undefined,
    name: string,
    uid: string,
    build: (rv: number) => string,
  ): void {
    const key = objKey(ns, name);
    const rv = ++this.rvCounter;
    const t = this.table(resource);
    const json = escapeLineTerminators(build(rv));
    const e: Entry = {
      resource,
      key,
      ns,
      name,
      uid,
      rv,
      labels: undefined,
      owners: NO_OWNERS,
      obj: undefined,
      json: undefined,
      buf: undefined,
      indexed: NO_OWNERS,
    };
    e.buf = this.arena.put(e, json);
    this.place(t, e);
    if (uid) this.uidIndex.set(uid, e);
    const ev = new ColdEvent('ADDED', rv, resource, e, json);
    ev.json = json;
    ev.entry = e;
    this.emit(ev);
  }

  /** Replace an existing object. Takes ownership of `o`; never mutate stored objects in place. */
  update(resource: string, o: KubeObject): KubeObject {
    const key = objKey(o.metadata.namespace, o.metadata.name ?? '');
    const t = this.table(resource);
    const e = t.all.get(key);
    if (!e) return this.create(resource, o);
    const prev = this.peek(e);
    const rv = this.stamp(o);
    e.rv = rv;
    e.obj = o;
    e.json = undefined;
    if (e.buf) this.arena.free(e.buf);
    e.buf = undefined;
    e.labels = o.metadata.labels;
    this.setOwners(e, ownerUids(o));
    this.setIndexed(t, e, indexKeys(o.metadata.labels));
    this.touch(e);
    this.emit({ type: 'MODIFIED', rv, resource, object: o, prev, entry: e });
    return o;
  }

  remove(resource: string, ns: string | undefined, name: string): KubeObject | undefined {
    return this.removeEntry(resource, ns, name)?.object;
  }

  /** Remove an object without returning it (a cold one is then never parsed here). */
  drop(resource: string, ns: string | undefined, name: string): void {
    this.removeEntry(resource, ns, name);
  }

  private removeEntry(resource: string, ns: string | undefined, name: string): StoreEvent | undefined {
    const key = objKey(ns, name);
    const t = this.table(resource);
    const e = t.all.get(key);
    if (!e) return undefined;
    const cold = e.obj === undefined && e.buf !== undefined ? e.buf : undefined;
    const prev = cold ? undefined : this.objectOf(e);
    const owners = e.owners;
    t.all.delete(key);
    if (ns !== undefined) {
      const m = t.byNs.get(ns);
      m?.delete(key);
      if (m?.size === 0) t.byNs.delete(ns);
    }
    this.setOwners(e, NO_OWNERS);
    this.setIndexed(t, e, NO_OWNERS);
    if (e.uid && this.uidIndex.get(e.uid) === e) this.uidIndex.delete(e.uid);
    this.hotNow.delete(e);
    this.hotPrev.delete(e);
    if (e.buf) this.arena.free(e.buf);
    e.buf = undefined;
    if (cold || !prev) {
      // A cold entry is not parsed to delete it: the event parses it if a listener asks.
      const ev = new ColdEvent('DELETED', ++this.rvCounter, resource, e, cold ?? '{}', owners);
      this.emit(ev);
      return ev;
    }
    const o: KubeObject = { ...prev, metadata: { ...prev.metadata } };
    const rv = this.stamp(o);
    const ev: StoreEvent = { type: 'DELETED', rv, resource, object: o, prev };
    this.emit(ev);
    return ev;
  }

  /** Events after `rv`, or 'gone' if history no longer reaches back that far. */
  since(rv: number): StoreEvent[] | 'gone' {
    if (rv < this.compactedRv) return 'gone';
    // history is sorted by rv: binary search the first event with e.rv > rv
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = this.history[mid];
      if (e && e.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /**
   * The watch cache starts here (the sim's start-up objects are already in place): like the real
   * server's cache, initialised from a list at start-up, it holds no event from before, and a
   * watch or an exact list from an earlier resourceVersion gets 410.
   */
  markCacheStart(): void {
    this.compactedRv = Math.max(this.compactedRv, this.rvCounter);
  }

  /**
   * The objects of a resource as they were at `rv` (an exact list), rebuilt from the current ones
   * by undoing the history after it; 'gone' when the history no longer reaches back that far.
   */
  stateAt(resource: string, rv: number): KubeObject[] | 'gone' {
    const after = this.since(rv);
    if (after === 'gone') return 'gone';
    const state = new Map<string, KubeObject>();
    for (const e of this.entries(resource)) state.set(e.key, this.peek(e));
    for (let i = after.length - 1; i >= 0; i--) {
      const ev = after[i];
      if (!ev || ev.resource !== resource) continue;
      const o = ev.object;
      const key = objKey(o.metadata.namespace, o.metadata.name ?? '');
      if (ev.type === 'ADDED') state.delete(key);
      else state.set(key, ev.prev ?? o);
    }
    return [...state.values()];
  }

  /** Forget all history: every watch from an existing resourceVersion gets 410 Gone. */
  compact(): void {
    this.compactedRv = this.rvCounter;
    this.history = [];
  }
}
