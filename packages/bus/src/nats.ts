import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface NatsOptions {
  /** Comma-separated server URLs. */
  servers: string;
  name: string;
}

/**
 * A connection that never gives up reconnecting (the client's default is 10 attempts). Without
 * async traces: the client would otherwise capture a stack trace (an Error) for every request, i.e.
 * for every JetStream publish — a large share of the outbox relay's CPU under load.
 */
export function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.servers.split(',').map((s) => s.trim()),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    noAsyncTraces: true,
  });
}
