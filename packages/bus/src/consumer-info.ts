import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * A durable consumer's backlog: messages not yet delivered plus those delivered and not yet acked.
 * Throws when the stream or the consumer does not exist (a service is not ready without them).
 */
export async function consumerBacklog(nc: NatsConnection, stream: string, consumer: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.info(stream, consumer);
  return info.num_pending + info.num_ack_pending;
}
