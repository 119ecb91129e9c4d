import {
  type ConsumerMessages,
  JetStreamApiError,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
} from '@nats-io/jetstream';
import { millis, type NatsConnection, nanos } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Subjects } from '@po/contracts';
import { inPipeline } from '@po/telemetry';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { deadLetter, headerSafe } from './dead-letters.ts';
import { Permanent, RetryLater } from './errors.ts';
import { type BusMetrics, metricSubject } from './metrics.ts';
import {
  extractContext,
  headersToRecord,
  messagePipelineAttributes,
  messagingAttributes,
  messagingSpanName,
  tracer,
} from './trace.ts';

export interface MessageMeta {
  subject: string;
  deliveryCount: number;
  headers: Record<string, string>;
}

export interface ConsumerOptions<T> {
  nc: NatsConnection;
  stream: string;
  consumer: string;
  schema: z.ZodType<T>;
  handler: (msg: T, meta: MessageMeta) => Promise<void>;
  logger: Logger;
  subjects: Subjects;
  /** Messages handled at once (default 1). */
  concurrency?: number;
  /** Defaults to the durable consumer's max_deliver, so the last delivery is recognised. */
  maxDeliver?: number;
  metrics?: BusMetrics;
  /** Wait before re-opening a consumer that failed or went quiet (default 1000 ms). */
  reopenDelayMs?: number;
}

export interface Stoppable {
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 60_000;
const backoffMs = (deliveryCount: number) =>
  Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.max(0, deliveryCount - 1));

/**
 * A durable pull-consumer loop that classifies handler outcomes into ack / nak(delay) / dead-letter.
 * The loop re-opens the consumer whenever iteration ends or the server stops answering (NATS restart,
 * consumer re-created), until stop().
 */
export function startConsumer<T>(opts: ConsumerOptions<T>): Stoppable {
  const js = jetstream(opts.nc);
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const log = opts.logger.child({ stream: opts.stream, consumer: opts.consumer });
  const inflight = new Set<Promise<void>>();
  let stopped = false;
  let messages: ConsumerMessages | undefined;
  let wakeUp: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  // Older servers (2.9) keep a terminated message in a work-queue stream forever, and a message that
  // carried a credential must not stay at rest in its stream (its redacted copy is in the dead
  // letters): remove the original (newer servers already have from a work queue: not-found is fine).
  async function removeFromStream(m: JsMsg): Promise<void> {
    try {
      const jsm = await jetstreamManager(opts.nc);
      await jsm.streams.deleteMessage(m.info.stream, m.seq);
    } catch (err) {
      if (!(err instanceof JetStreamApiError))
        log.warn({ err, seq: m.seq }, 'could not remove a dead-lettered message');
    }
  }

  async function handleMessage(
    m: JsMsg,
    { maxDeliver, workQueue, ackWaitMs }: { maxDeliver: number; workQueue: boolean; ackWaitMs: number },
  ): Promise<void> {
    const parent = extractContext(m.headers);
    const link = trace.getSpanContext(parent);
    const deliveryCount = m.info.deliveryCount;
    if (m.info.redelivered) opts.metrics?.redelivered?.(opts.consumer);
    await tracer.startActiveSpan(
      messagingSpanName(m.subject, 'process'),
      {
        kind: SpanKind.CONSUMER,
        links: link ? [{ context: link }] : [],
        attributes: {
          ...messagingAttributes(m.subject, 'process'),
          'messaging.consumer.group.name': opts.consumer,
          'messaging.nats.delivery_count': deliveryCount,
        },
      },
      parent,
      async (span) => {
        const giveUp = async (why: string) => {
          const reason = headerSafe(why);
          span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
          let copy: { redacted: boolean };
          try {
            copy = await deadLetter(js, opts.subjects, m, reason);
          } catch (err) {
            // Keep the original; it comes back (unless this was its last delivery).
            log.error({ err, subject: m.subject, seq: m.seq }, 'dead-lettering failed');
            m.nak(backoffMs(deliveryCount));
            return;
          }
          opts.metrics?.deadLettered(metricSubject(m.subject));
          log.warn({ subject: m.subject, seq: m.seq, deliveryCount, reason }, 'message dead-lettered');
          // A bare +TERM: nats-server 2.9 does not know `+TERM <reason>` and would redeliver the message,
          // to be dead-lettered again (the reason is in the dead letter's header anyway).
          m.term();
          if (workQueue || copy.redacted) await removeFromStream(m);
        };
        try {
          let body: unknown;
          try {
            body = m.json();
          } catch {
            return await giveUp('invalid message: not JSON');
          }
          const parsed = opts.schema.safeParse(body);
          if (!parsed.success) {
            const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
            return await giveUp(`invalid message: ${issues.join('; ')}`);
          }
          // A handler slower than ack_wait (a long log capture) must not get the message redelivered
          // to another replica while it still works on it.
          const progress = setInterval(() => m.working(), Math.max(100, ackWaitMs / 3));
          try {
            // The handler's spans (database, Kubernetes, publishes) carry the message's pipeline.
            await inPipeline(messagePipelineAttributes(parsed.data), () =>
              opts.handler(parsed.data, {
                subject: m.subject,
                deliveryCount,
                headers: headersToRecord(m.headers),
              }),
            );
            clearInterval(progress);
            m.ack();
          } catch (err) {
            clearInterval(progress);
            const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
            span.recordException(err instanceof Error ? err : reason);
            if (err instanceof Permanent) return await giveUp(reason);
            if (deliveryCount >= maxDeliver)
              return await giveUp(`max deliveries (${maxDeliver}) reached: ${reason}`);
            const delay = err instanceof RetryLater ? err.delayMs : backoffMs(deliveryCount);
            log.debug(
              { subject: m.subject, seq: m.seq, deliveryCount, delay, err },
              'message will be retried',
            );
            m.nak(delay);
          }
        } finally {
          span.end();
        }
      },
    );
  }

  async function consumeOnce(): Promise<void> {
    const c = await js.consumers.get(opts.stream, opts.consumer);
    const { config } = await c.info(true);
    const maxDeliver = opts.maxDeliver ?? config.max_deliver ?? 10;
    const ackWaitMs = millis(config.ack_wait ?? nanos(30_000));
    const jsm = await jetstreamManager(opts.nc);
    const workQueue = (await jsm.streams.info(opts.stream)).config.retention === RetentionPolicy.Workqueue;
    const msgs = await c.consume({ max_messages: concurrency });
    messages = msgs;
    void (async () => {
      for await (const s of msgs.status()) {
        const lost =
          s.type === 'consumer_deleted' ||
          s.type === 'stream_not_found' ||
          (s.type === 'consumer_not_found' && s.count >= 2) ||
          (s.type === 'heartbeats_missed' && s.count >= 2);
        if (lost) {
          log.warn({ status: s.type }, 'consumer lost; re-opening');
          msgs.stop();
        }
      }
    })().catch(() => {});
    for await (const m of msgs) {
      if (stopped) {
        // Buffered before stop(): hand it back now rather than after ack_wait.
        m.nak();
        continue;
      }
      const p = handleMessage(m, { maxDeliver, workQueue, ackWaitMs })
        .catch((err) => log.error({ err, subject: m.subject }, 'message processing failed'))
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= concurrency) await Promise.race(inflight);
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await consumeOnce();
      } catch (err) {
        if (!stopped) log.warn({ err }, 'consumer failed; re-opening');
      }
      messages = undefined;
      if (!stopped) await pause(opts.reopenDelayMs ?? 1000);
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        stopped = true;
        wakeUp?.();
        await messages?.close().catch(() => {});
        await loop;
        await Promise.all(inflight);
      })();
      return stopping;
    },
  };
}
