import { context, propagation, trace } from '@opentelemetry/api';
import type { BusMessage } from '@po/contracts';
import type { Insertable } from 'kysely';
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
