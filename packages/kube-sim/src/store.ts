// The cluster state: objects per resource, one global resourceVersion counter, a bounded event
// history (past which a watch gets 410 Gone) and an owner index for garbage collection.
import type { KubeObject } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rv: number;
  resource: string;
  object: KubeObject;
  /** The previous state, for MODIFIED (lets a filtered watch turn it into ADDED/DELETED). */
  prev?: KubeObject;
  /** Cached JSON of `object`, shared by every watcher. */
  json?: string;
}

export type Listener = (e: StoreEvent) => void;

export function objKey(ns: string | undefined, name: string): string {
  return ns ? `${ns}/${name}` : name;
}

function ownerUids(o: KubeObject): string[] {
  return (o.metadata.ownerReferences ?? []).map((r) => r.uid);
}

export class Store {
  private rvCounter = 0;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private readonly historySize: number;
  /** Highest resourceVersion no longer covered by history: watches from below it get 410. */
  private compactedRv = 0;
  private readonly listeners = new Set<Listener>();
  /** owner uid -> "resource\0key" of dependents */
  private readonly ownerIndex = new Map<string, Set<string>>();
  /** uid -> "resource\0key" */
  private readonly uidIndex = new Map<string, string>();

  constructor(historySize = 1_000) {
    this.historySize = Math.max(1, historySize);
  }

  get resourceVersion(): number {
    return this.rvCounter;
  }

  get oldestValidRv(): number {
    return this.compactedRv;
  }

  private table(resource: string): Map<string, KubeObject> {
    let t = this.tables.get(resource);
    if (!t) {
      t = new Map();
      this.tables.set(resource, t);
    }
    return t;
  }

  get(resource: string, ns: string | undefined, name: string): KubeObject | undefined {
    return this.tables.get(resource)?.get(objKey(ns, name));
  }

  count(resource: string): number {
    return this.tables.get(resource)?.size ?? 0;
  }

  /** All objects of a resource, optionally in one namespace (unsorted). */
  *list(resource: string, ns?: string): Iterable<KubeObject> {
    const t = this.tables.get(resource);
    if (!t) return;
    for (const o of t.values()) {
      if (ns === undefined || o.metadata.namespace === ns) yield o;
    }
  }

  /** Objects (any resource) whose ownerReferences name this uid. */
  dependents(uid: string): { resource: string; object: KubeObject }[] {
    const out: { resource: string; object: KubeObject }[] = [];
    for (const ref of this.ownerIndex.get(uid) ?? []) {
      const i = ref.indexOf('\0');
      const resource = ref.slice(0, i);
      const o = this.tables.get(resource)?.get(ref.slice(i + 1));
      if (o) out.push({ resource, object: o });
    }
    return out;
  }

  byUid(uid: string): { resource: string; object: KubeObject } | undefined {
    const ref = this.uidIndex.get(uid);
    if (!ref) return undefined;
    const i = ref.indexOf('\0');
    const resource = ref.slice(0, i);
    const o = this.tables.get(resource)?.get(ref.slice(i + 1));
    return o ? { resource, object: o } : undefined;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private index(resource: string, key: string, prev: KubeObject | undefined, next: KubeObject | undefined) {
    const ref = `${resource}\0${key}`;
    for (const uid of prev ? ownerUids(prev) : []) this.ownerIndex.get(uid)?.delete(ref);
    for (const uid of next ? ownerUids(next) : []) {
      let s = this.ownerIndex.get(uid);
      if (!s) {
        s = new Set();
        this.ownerIndex.set(uid, s);
      }
      s.add(ref);
    }
    for (const uid of prev ? ownerUids(prev) : []) {
      if (this.ownerIndex.get(uid)?.size === 0) this.ownerIndex.delete(uid);
    }
  }

  private emit(e: StoreEvent) {
    this.history.push(e);
    if (this.history.length >= this.historySize + Math.max(1, this.historySize >> 2)) {
      const drop = this.history.length - this.historySize;
      const last = this.history[drop - 1];
      if (last) this.compactedRv = last.rv;
      this.history = this.history.slice(drop);
    }
    for (const l of this.listeners) l(e);
    // The JSON is shared by the watchers of this event only; history keeps just the object.
    e.json = undefined;
  }

  private stamp(o: KubeObject): number {
    this.rvCounter++;
    o.metadata.resourceVersion = String(this.rvCounter);
    return this.rvCounter;
  }

  /** Insert a new object (caller has checked it does not exist). Takes ownership of `o`. */
  create(resource: string, o: KubeObject): KubeObject {
    const key = objKey(o.metadata.namespace, o.metadata.name ?? '');
    const rv = this.stamp(o);
    this.table(resource).set(key, o);
    this.index(resource, key, undefined, o);
    if (o.metadata.uid) this.uidIndex.set(o.metadata.uid, `${resource}\0${key}`);
    this.emit({ type: 'ADDED', rv, resource, object: o });
    return o;
  }

  /** Replace an existing object. Takes ownership of `o`; never mutate stored objects in place. */
  update(resource: string, o: KubeObject): KubeObject {
    const key = objKey(o.metadata.namespace, o.metadata.name ?? '');
    const t = this.table(resource);
    const prev = t.get(key);
    const rv = this.stamp(o);
    t.set(key, o);
    this.index(resource, key, prev, o);
    const e: StoreEvent = { type: 'MODIFIED', rv, resource, object: o };
    if (prev) e.prev = prev;
    this.emit(e);
    return o;
  }

  remove(resource: string, ns: string | undefined, name: string): KubeObject | undefined {
    const key = objKey(ns, name);
    const t = this.table(resource);
    const prev = t.get(key);
    if (!prev) return undefined;
    t.delete(key);
    this.index(resource, key, prev, undefined);
    if (prev.metadata.uid) this.uidIndex.delete(prev.metadata.uid);
    const o: KubeObject = { ...prev, metadata: { ...prev.metadata } };
    const rv = this.stamp(o);
    this.emit({ type: 'DELETED', rv, resource, object: o, prev });
    return o;
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

  /** Forget all history: every watch from an existing resourceVersion gets 410 Gone. */
  compact(): void {
    this.compactedRv = this.rvCounter;
    this.history = [];
  }
}
