import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import { CONSUMERS, streams, subjects } from '@po/contracts';

export interface ProvisionOptions {
  maxDeliver?: number;
  ackWaitMs?: number;
  /** How long a dead letter is kept (the stream's max_age; default 30 days): RETENTION_DEAD_LETTERS_DAYS. */
  deadLetterMaxAgeMs?: number;
}

const DAY_MS = 24 * 3600_000;
const DUPLICATE_WINDOW_MS = 2 * 60_000;

/** Stream and consumer configurations for a prefix: the one place the topology is described. */
export function topology(prefix: string, opts: ProvisionOptions = {}) {
  const s = subjects(prefix);
  const n = streams(prefix);
  const stream = (name: string, subject: string, retention: RetentionPolicy, maxAgeMs: number) =>
    ({
      name,
      subjects: [subject],
      retention,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(maxAgeMs),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: 1,
    }) satisfies Partial<StreamConfig> & { name: string };
  const consumer = (stream: string, durable: string, filter: string) => ({
    stream,
    config: {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filter,
      ack_wait: nanos(opts.ackWaitMs ?? 30_000),
      max_deliver: opts.maxDeliver ?? 10,
      max_ack_pending: 1000,
    } satisfies Partial<ConsumerConfig>,
  });
  return {
    streams: [
      stream(n.commands, s.commands, RetentionPolicy.Workqueue, 7 * DAY_MS),
      stream(n.events, s.events, RetentionPolicy.Limits, 7 * DAY_MS),
      stream(n.intake, s.intake, RetentionPolicy.Limits, 7 * DAY_MS),
      stream(n.deadLetters, s.deadLetters, RetentionPolicy.Limits, opts.deadLetterMaxAgeMs ?? 30 * DAY_MS),
    ],
    consumers: [
      consumer(n.commands, CONSUMERS.scheduler, s.pipelineQueued),
      consumer(n.commands, CONSUMERS.jobRunner, s.jobCommands),
      consumer(n.events, CONSUMERS.logCollector, s.pipelineFinished),
      consumer(n.intake, CONSUMERS.intake, s.submitAll),
    ],
  };
}

const STREAM_NAME_IN_USE = 10058;

/**
 * Create or update the streams and durable consumers. Adding an identical config is a no-op on the
 * server, so concurrent callers with the same options all succeed; a changed config is updated.
 */
export async function provision(
  nc: NatsConnection,
  prefix: string,
  opts: ProvisionOptions = {},
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const t = topology(prefix, opts);
  for (const cfg of t.streams) {
    try {
      await jsm.streams.add(cfg);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE)) throw err;
      await jsm.streams.update(cfg.name, cfg);
    }
  }
  for (const { stream, config } of t.consumers) await ensureConsumer(jsm, stream, config);
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    await jsm.consumers.add(stream, config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    // The durable exists with another config (e.g. a new maxDeliver): update what may change.
    await jsm.consumers.update(stream, config.durable_name, {
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      max_ack_pending: config.max_ack_pending,
    });
  }
}

/** Tests: remove a prefix's streams (and with them their consumers). */
export async function deleteStreams(nc: NatsConnection, prefix: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const name of Object.values(streams(prefix))) {
    try {
      await jsm.streams.delete(name);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.status === 404)) throw err;
    }
  }
}
