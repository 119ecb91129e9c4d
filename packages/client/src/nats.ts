/**
 * For services that talk NATS instead of HTTP (`@po/client/nats`): submit a pipeline on the tenant's
 * JetStream submit subject with the idempotency key as `Nats-Msg-Id`, and hear its status
 * notifications. The connection must be the tenant's NATS user, with `subjects.tenantInbox(tenant)`
 * as its inbox prefix (the tenant is who the NATS server says it is; no key travels in the body).
 */
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { IdempotencyKey, isTerminal, PipelineStatusChanged, subjects } from '@po/contracts';
import { intakePipelineId } from '@po/contracts/intake-id';
import type { CreatePipelineRequest } from './client.ts';

export interface NatsSubmitOptions {
  /** The deployment's subject prefix (BUS_PREFIX, default `po`). */
  prefix?: string;
  tenant: string;
  /** Also the `Nats-Msg-Id`: the same key is the same pipeline (and JetStream drops the repeat). */
  idempotencyKey: string;
  request: CreatePipelineRequest;
}

export interface NatsSubmission {
  /** The pipeline's id, derived from (tenant, key): the same as GET /pipelines/{id} answers. */
  id: string;
  /** Whether JetStream had already stored this key (a repeat within its duplicate window). */
  duplicate: boolean;
  /** Status notifications, from Queued until a terminal status (then the iterator ends). */
  statuses: AsyncIterable<PipelineStatusChanged>;
  /** Stops listening (the pipeline goes on). */
  stop(): void;
}

/**
 * Publishes the request; listening starts before publishing, so no notification is missed. A key the
 * gateway would refuse is refused here, before anything is sent: a NATS client trims header values,
 * so a key with white space around it would reach the gateway as another key, and the pipeline would
 * get another id than the one returned.
 */
export async function submitOverNats(nc: NatsConnection, opts: NatsSubmitOptions): Promise<NatsSubmission> {
  const key = IdempotencyKey.safeParse(opts.idempotencyKey);
  if (!key.success)
    throw new TypeError(
      `idempotencyKey: ${key.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(opts.idempotencyKey)})`,
    );
  const s = subjects(opts.prefix ?? 'po');
  const id = intakePipelineId(opts.tenant, opts.idempotencyKey);
  const sub = nc.subscribe(s.pipelineStatus(opts.tenant, id));
  try {
    await nc.flush();
    const ack = await jetstream(nc).publish(s.submit(opts.tenant), JSON.stringify(opts.request), {
      msgID: opts.idempotencyKey,
    });
    async function* statuses(): AsyncGenerator<PipelineStatusChanged, void, undefined> {
      try {
        for await (const m of sub) {
          const parsed = PipelineStatusChanged.safeParse(m.json());
          if (!parsed.success) continue;
          yield parsed.data;
          if (isTerminal(parsed.data.data.to)) return;
        }
      } finally {
        sub.unsubscribe();
      }
    }
    return { id, duplicate: ack.duplicate, statuses: statuses(), stop: () => sub.unsubscribe() };
  } catch (err) {
    sub.unsubscribe();
    throw err;
  }
}
