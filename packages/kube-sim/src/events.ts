// core/v1 Events for the controllers' notable actions (what `kubectl describe` shows).
import { randomUUID } from 'node:crypto';
import type { Store } from './store.ts';
import type { KubeObject } from './types.ts';
import { now } from './types.ts';

// Wall-clock nanoseconds from the monotonic clock, strictly increasing (unique names).
const NANO_BASE = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let lastNano = 0n;
function unixNanoHex(): string {
  let t = NANO_BASE + process.hrtime.bigint();
  if (t <= lastNano) t = lastNano + 1n;
  lastNano = t;
  return t.toString(16);
}

export interface EventSource {
  component: string;
  host?: string;
}

export class EventRecorder {
  private readonly store: Store;
  private readonly max: number;
  // A ring of the recorded events' keys: the oldest is removed once `max` is reached.
  private readonly ring: ({ ns: string; name: string } | undefined)[] = [];
  private head = 0;
  enabled = true;

  constructor(store: Store, max = 10_000) {
    this.store = store;
    this.max = Math.max(1, max);
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
    if (!this.store.entry('namespaces', undefined, ns)) return;
    const ts = now();
    // Like client-go's recorder: the object's name and the time in nanoseconds, in hex.
    const name = `${obj.metadata.name}.${unixNanoHex()}`;
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
    if (this.ring.length < this.max) {
      this.ring.push({ ns, name });
      return;
    }
    const old = this.ring[this.head];
    if (old) this.store.remove('events', old.ns, old.name);
    this.ring[this.head] = { ns, name };
    this.head = (this.head + 1) % this.max;
  }
}
