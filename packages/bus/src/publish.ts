import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { context, propagation, SpanKind } from '@opentelemetry/api';
import type { BusMessage } from '@po/contracts';
import { endSpan } from '@po/telemetry';
import { messagePipelineAttributes, messagingAttributes, messagingSpanName, tracer } from './trace.ts';

export interface PublishOptions {
  /** Extra headers; trace headers of the publish span are added on top. */
  headers?: Record<string, string>;
}

/**
 * Publish one message under a PRODUCER span; the span's context travels in the headers so the
 * consumer continues the same trace. Nats-Msg-Id makes re-publishes inside the duplicate window no-ops.
 */
export function publishRaw(
  js: JetStreamClient,
  subject: string,
  msgId: string,
  body: string | Uint8Array,
  opts: PublishOptions = {},
): Promise<PubAck> {
  return tracer.startActiveSpan(
    messagingSpanName(subject, 'publish'),
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        ...messagingAttributes(subject, 'publish'),
        ...messagePipelineAttributes(typeof body === 'string' ? safeJson(body) : undefined),
        'messaging.message.id': msgId,
      },
    },
    (span) =>
      endSpan(span, async () => {
        const h = natsHeaders();
        for (const [k, v] of Object.entries(opts.headers ?? {})) h.set(k, v);
        propagation.inject(context.active(), h, { set: (c, k, v) => c.set(k, v) });
        const ack = await js.publish(subject, body, { msgID: msgId, headers: h });
        span.setAttribute('messaging.nats.stream.sequence', ack.seq);
        if (ack.duplicate) span.setAttribute('messaging.nats.duplicate', true);
        return ack;
      }),
  );
}

/** Publish a bus envelope with Nats-Msg-Id = message.id. */
export function publish(
  js: JetStreamClient,
  subject: string,
  message: BusMessage,
  opts: PublishOptions = {},
): Promise<PubAck> {
  return publishRaw(js, subject, message.id, JSON.stringify(message), opts);
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
