// Garbage collector: deletes dependents whose owner is gone (Background), runs foreground
// deletion (dependents first, then the owner) and finishes terminating namespaces.
import type { Cluster } from './cluster.ts';
import { findResource, type ResourceInfo } from './resources.ts';
import { ColdEvent, type StoreEvent } from './store.ts';
import type { KubeObject } from './types.ts';
import { clone } from './types.ts';

function infoOf(resource: string): ResourceInfo | undefined {
  return findResource('', 'v1', resource) ?? findResource('batch', 'v1', resource);
}

export class GarbageCollector {
  private readonly cluster: Cluster;
  private readonly queue: (() => void)[] = [];
  private scheduled = false;
  private unsubscribe: (() => void) | undefined;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  start() {
    this.unsubscribe = this.cluster.store.subscribe((e) => this.onEvent(e));
  }

  stop() {
    this.unsubscribe?.();
  }

  private enqueue(fn: () => void) {
    this.queue.push(fn);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        const work = this.queue.splice(0);
        for (const w of work) w();
      });
    }
  }

  private onEvent(e: StoreEvent) {
    // A cold event (an Event created as JSON, a cold entry deleted) is not parsed: its identity
    // and owners are on the event, and a new cold object is never being deleted.
    const cold = e instanceof ColdEvent ? e : undefined;
    if (cold && e.type !== 'DELETED') return;
    const meta = cold ? undefined : e.object.metadata;
    if (e.type === 'DELETED') {
      const uid = cold ? cold.uid : (meta?.uid ?? '');
      const store = this.cluster.store;
      if (store.hasDependents(uid)) this.enqueue(() => this.deleteDependents(uid));
      const owners = cold ? cold.owners : (meta?.ownerReferences ?? []).map((r) => r.uid);
      for (const ownerUid of owners) {
        // Only an owner waiting on foreground deletion cares that a dependent went away.
        const owner = store.byUidEntry(ownerUid);
        if (owner && store.peek(owner).metadata.finalizers?.includes('foregroundDeletion'))
          this.enqueue(() => this.checkForeground(ownerUid));
      }
      const ns = cold ? cold.ns : meta?.namespace;
      const nsEntry = ns ? store.entry('namespaces', undefined, ns) : undefined;
      if (ns && nsEntry && store.peek(nsEntry).metadata.deletionTimestamp) {
        this.enqueue(() => this.cluster.finishNamespace(ns));
      }
    } else if (meta?.deletionTimestamp && meta.finalizers?.includes('orphan')) {
      const uid = meta.uid ?? '';
      this.enqueue(() => this.orphan(uid));
    } else if (meta?.deletionTimestamp && meta.finalizers?.includes('foregroundDeletion')) {
      const uid = meta.uid ?? '';
      this.enqueue(() => {
        this.deleteDependents(uid);
        this.checkForeground(uid);
      });
    }
  }

  private deleteDependents(uid: string) {
    for (const d of this.cluster.store.dependents(uid)) {
      const info = infoOf(d.resource);
      if (!info || d.object.metadata.deletionTimestamp) continue;
      try {
        this.cluster.delete(info, d.object.metadata.namespace, d.object.metadata.name ?? '', {
          propagationPolicy: 'Background',
        });
      } catch {
        // gone already
      }
    }
  }

  /** Orphan policy: the dependents lose their owner reference, then the owner its finalizer. */
  private orphan(ownerUid: string) {
    const owner = this.findByUid(ownerUid);
    if (!owner?.object.metadata.finalizers?.includes('orphan')) return;
    const info = infoOf(owner.resource);
    if (!info) return;
    this.cluster.orphanDependents(owner.object);
    const next = clone(owner.object);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== 'orphan');
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    this.cluster.commitUpdate(info, next);
  }

  /** Remove the foregroundDeletion finalizer from an owner once its blocking dependents are gone. */
  private checkForeground(ownerUid: string) {
    const owner = this.findByUid(ownerUid);
    if (!owner?.object.metadata.finalizers?.includes('foregroundDeletion')) return;
    const blocking = this.cluster.store
      .dependents(ownerUid)
      .some((d) =>
        d.object.metadata.ownerReferences?.some((r) => r.uid === ownerUid && r.blockOwnerDeletion),
      );
    if (blocking) return;
    const info = infoOf(owner.resource);
    if (!info) return;
    const next = clone(owner.object);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    this.cluster.commitUpdate(info, next);
  }

  private findByUid(uid: string): { resource: string; object: KubeObject } | undefined {
    return this.cluster.store.byUid(uid);
  }
}
