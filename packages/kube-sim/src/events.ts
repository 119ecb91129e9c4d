// core/v1 Events for the controllers' notable actions (what `kubectl describe` shows).
import type { Store } from './store.ts';
import type { KubeObject } from './types.ts';
import { newUid, now } from './types.ts';

// Wall-clock nanoseconds from the monotonic clock, strictly increasing (unique names).
const NANO_BASE = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
let lastNano = 0n;
function unixNanoHex(): string {
  let t = NANO_BASE + process.hrtime.bigint();
  if (t <= lastNano) t = lastNano + 1n;
  lastNano = t;
  return t.toString(16);
}

const sourceJsons = new WeakMap<EventSource, string>();
function sourceJson(source: EventSource): string {
  let s = sourceJsons.get(source);
  if (s === undefined) {
    s = JSON.stringify(source);
    sourceJsons.set(source, s);
  }
  return s;
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
    const uid = newUid();
    // The Event is written as JSON once and stored cold: nothing in the sim reads it back, so it
    // is parsed only if a client lists or watches Events.
    const q = JSON.stringify;
    const m = obj.metadata;
    let io = `{"kind":${q(obj.kind)},"namespace":${q(ns)},"name":${q(m.name)},"uid":${q(m.uid)},"apiVersion":${q(obj.apiVersion)}`;
    if (m.resourceVersion !== undefined) io += `,"resourceVersion":${q(m.resourceVersion)}`;
    if (fieldPath) io += `,"fieldPath":${q(fieldPath)}`;
    const head = `{"apiVersion":"v1","kind":"Event","metadata":{"name":${q(name)},"namespace":${q(ns)},"uid":"${uid}","creationTimestamp":"${ts}","generation":1,"resourceVersion":"`;
    const tail = `"},"involvedObject":${io}},"reason":${q(reason)},"message":${q(message)},"source":${sourceJson(source)},"firstTimestamp":"${ts}","lastTimestamp":"${ts}","count":1,"type":"${type}","eventTime":null,"reportingComponent":${q(source.component)},"reportingInstance":${q(source.host ?? '')}}`;
    this.store.createCold('events', ns, name, uid, (rv) => head + rv + tail);
    if (this.ring.length < this.max) {
      this.ring.push({ ns, name });
      return;
    }
    const old = this.ring[this.head];
    if (old) this.store.drop('events', old.ns, old.name);
    this.ring[this.head] = { ns, name };
    this.head = (this.head + 1) % this.max;
  }
}
