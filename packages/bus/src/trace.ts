import type { MsgHdrs } from '@nats-io/transport-node';
import {
  type Attributes,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { subjectTemplate } from '@po/contracts';
import { pipelineAttributes } from '@po/telemetry';

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

/**
 * OTel messaging conventions: `{operation} {destination template}` — the subject with its tenant and
 * pipeline id named, never the ids themselves (span names stay low-cardinality).
 */
export function messagingSpanName(subject: string, operation: 'publish' | 'process'): string {
  return `${operation} ${subjectTemplate(subject)}`;
}

export function messagingAttributes(subject: string, operation: 'publish' | 'process'): Attributes {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.destination.template': subjectTemplate(subject),
    'messaging.operation.name': operation,
    'messaging.operation.type': operation === 'publish' ? 'send' : 'process',
  };
}

/** `po.pipeline.id` and `po.attempt` of a bus envelope (nothing for other bodies). */
export function messagePipelineAttributes(body: unknown): Attributes {
  if (body === null || typeof body !== 'object') return {};
  const { pipelineId, attempt } = body as { pipelineId?: unknown; attempt?: unknown };
  return pipelineAttributes({
    pipelineId: typeof pipelineId === 'string' ? pipelineId : undefined,
    attempt: typeof attempt === 'number' ? attempt : undefined,
  });
}
