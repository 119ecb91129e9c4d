// core/v1 Events for the controllers' notable actions (what `kubectl describe` shows).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Store } from './store.ts';
import type { KubeObject } from './types.ts';
import { now } from './types.ts';

export interface EventSource {
  component: string;
  host?: string;
}

export class EventRecorder {
  private readonly store: Store;
  private readonly max: number;
  private readonly fifo: { ns: string; name: string }[] = [];
  enabled = true;

  constructor(store: Store, max = 20_000) {
    this.store = store;
    this.max = max;
  }

  record(
    obj: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
    fieldPath?: string,
  ) {
    if (!this.enabled) return;
    const ns = obj.metadata.namespace ?? 'default';
    if (!this.store.get('namespaces', undefined, ns)) return;
    const ts = now();
    const name = `${obj.metadata.name}.${randomBytes(8).toString('hex')}`;
    const involvedObject: Record<string, unknown> = {
      kind: obj.kind,
      namespace: ns,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns, uid: randomUUID(), creationTimestamp: ts, generation: 1 },
      involvedObject,
      reason,
      message,
      source,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    };
    this.store.create('events', ev);
    this.fifo.push({ ns, name });
    while (this.fifo.length > this.max) {
      const old = this.fifo.shift();
      if (old) this.store.remove('events', old.ns, old.name);
    }
  }
}
