import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface NatsOptions {
  /** Comma-separated server URLs. */
  servers: string;
  name: string;
  /** This client's NATS identity (each service has its own; see ./permissions.ts). */
  user?: string | undefined;
  password?: string | undefined;
  /**
   * Where replies to this client arrive; its user may subscribe only there (`serviceInbox`,
   * `subjects.tenantInbox`). Default `_INBOX`, which only an unrestricted user may read.
   */
  inboxPrefix?: string | undefined;
  /** How long the first connection may take, in ms (the client's default: 20,000). */
  timeout?: number | undefined;
}

/**
 * A connection that never gives up reconnecting (the client's default is 10 attempts). Without
 * async traces: the client would otherwise capture a stack trace (an Error) for every request, i.e.
 * for every JetStream publish — a large share of the outbox relay's CPU under load.
 */
export function connectNats(opts: NatsOptions): Promise<NatsConnection> {
  if ((opts.user === undefined) !== (opts.password === undefined))
    throw new Error('NATS user and password go together: set both or neither');
  return connect({
    servers: opts.servers.split(',').map((s) => s.trim()),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    noAsyncTraces: true,
    ...(opts.user !== undefined ? { user: opts.user, pass: opts.password } : {}),
    ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
    ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
  });
}
