import type { MsgHdrs } from '@nats-io/transport-node';
import {
  type Attributes,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

export const tracer = trace.getTracer('@po/bus');

export const natsGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (h) => (h ? h.keys() : []),
  // MsgHdrs.get returns '' for a missing header.
  get: (h, k) => (h?.has(k) ? h.get(k) : undefined),
};

/** The producer's context carried by a message's headers (ROOT when none). */
export function extractContext(h: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, h, natsGetter);
}

export function headersToRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of h?.keys() ?? []) out[k] = h?.get(k) ?? '';
  return out;
}

export function messagingAttributes(subject: string, operation: 'publish' | 'process'): Attributes {
  return {
    'messaging.system': 'nats',
    'messaging.system.name': 'nats',
    'messaging.destination.name': subject,
    'messaging.operation.name': operation,
    'messaging.operation.type': operation,
  };
}
