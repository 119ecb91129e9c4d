import { context, propagation, trace } from '@opentelemetry/api';
import type { BusMessage } from '@po/contracts';
import { type Insertable, sql } from 'kysely';
import type { OutboxTable } from './schema.ts';
import type { Tx } from './tx.ts';

/** W3C trace context of the active OTel context ({} when there is no SDK or no active span). */
export function activeTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * The trace a message about a pipeline continues: always the pipeline's own (its stored root,
 * `traceparent`). The active span is the parent when it belongs to that trace; a span of another trace
 * (a cancel or restart request, a batch) never takes the pipeline's work into its trace.
 */
export function traceHeadersFor(traceparent: string | null): Record<string, string> {
  const active = trace.getSpanContext(context.active());
  if (!traceparent || (active && traceparent.split('-')[1] === active.traceId)) return activeTraceHeaders();
  return { traceparent };
}

export interface OutboxMessage {
  subject: string;
  message: BusMessage;
  headers?: Record<string, string>;
}

/**
 * Put a bus message in the outbox inside the caller's transaction. msg_id = message.id; a second
 * enqueue of the same id is a no-op, so a retried caller never publishes twice.
 */
export async function enqueue(
  trx: Tx,
  subject: string,
  message: BusMessage,
  headers: Record<string, string> = activeTraceHeaders(),
): Promise<void> {
  await trx
    .insertInto('outbox')
    .values(outboxRows([{ subject, message, headers }]))
    .onConflict((oc) => oc.column('msg_id').doNothing())
    .execute();
}

/** The outbox rows of messages, in order (ids follow it). A repeated msg_id must be skipped on insert. */
export function outboxRows(messages: readonly OutboxMessage[]): Insertable<OutboxTable>[] {
  return messages.map((m) => ({
    msg_id: m.message.id,
    subject: m.subject,
    payload: JSON.stringify(m.message),
    headers: JSON.stringify(m.headers ?? activeTraceHeaders()),
  }));
}

/** An outbox row as the relay publishes it: the payload as stored text, published as is. */
export interface OutboxRow {
  id: string;
  msg_id: string;
  subject: string;
  payload: string;
  headers: Record<string, string>;
}

/**
 * One relay pass in one statement (one round trip, no BEGIN/COMMIT): marks `published` (the rows of
 * the previous pass that JetStream acknowledged) and claims up to `limit` unpublished rows in id
 * order, leaving those it marks out (the claim's snapshot does not see its own mark).
 *
 * No row lock is held while the rows are published: one relay per database is active (an advisory
 * lock), and a row published twice in a hand-over is a duplicate the stream drops (Nats-Msg-Id =
 * msg_id). The mark need not wait for its WAL flush: were it lost in a crash, the rows would be
 * published again and dropped the same way (`set_config(..., true)` is `set local` for this
 * statement's transaction); the rows themselves were committed durably by their writers.
 */
export async function relayOutbox(db: Tx, published: readonly string[], limit: number): Promise<OutboxRow[]> {
  const ids = sql`${published}::bigint[]`;
  const { rows } = await sql<OutboxRow>`
    with marked as (
      update outbox set published_at = now()
      from (select set_config('synchronous_commit', 'off', true)) as local_setting
      where id = any(${ids})
    )
    select id, msg_id, subject, payload::text as payload, headers from outbox
    where published_at is null and not (id = any(${ids}))
    order by id limit ${limit}`.execute(db);
  return rows;
}

/** Marks rows published (what `relayOutbox` does for the previous pass), alone: a stopping relay's last acks. */
export async function markOutboxPublished(db: Tx, published: readonly string[]): Promise<void> {
  if (published.length === 0) return;
  await sql`update outbox set published_at = now()
    from (select set_config('synchronous_commit', 'off', true)) as local_setting
    where id = any(${published}::bigint[])`.execute(db);
}
