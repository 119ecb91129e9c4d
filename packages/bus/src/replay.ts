/**
 * Replaying and discarding dead letters (the operator's `POST /dead-letters/{id}/replay` and
 * `DELETE /dead-letters/{id}`).
 *
 * A replay hands the stored copy again to what consumes its original subject (a command or event is
 * published again through its stream; a submission is given to the gateway's intake directly, since
 * no service may publish on a tenant's submit subject), keeping the message's id (`Po-Original-Msg-Id`: a submitter's idempotency key or an envelope's id),
 * so what consumes it treats it as the same message: a submission creates the same pipeline (its id is
 * derived from tenant + key) or finds it created, a command repeats an idempotent step. The replay's own
 * Nats-Msg-Id is `replay:<letter seq>:<id>`: the original's id may still be in the stream's duplicate
 * window (JetStream would silently drop the replay), while two replays of one letter inside the window
 * are dropped by JetStream and, after it, by the consumer's idempotency.
 *
 * The stored copy is redacted: a credential's value is `[REDACTED]`. Such keys are removed on replay —
 * a credential never travels in a body (a NATS submitter is its tenant by its subject), so a message
 * that carried one was refused for it, and without it is what the submitter should have sent. A copy
 * that was cut (too large) or is not JSON cannot be replayed faithfully and is refused.
 */
import { JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { streams, subjects as subjectsFor } from '@po/contracts';
import { DEAD_LETTER_HEADERS } from './dead-letters.ts';
import { publishRaw } from './publish.ts';
import { REDACTED } from './redact.ts';
import { headersToRecord } from './trace.ts';

/** A dead letter as stored: its sequence in the dead-letter stream, headers and payload. */
export interface StoredLetter {
  seq: number;
  headers: Record<string, string>;
  data: Uint8Array;
}

export interface ReplayPlan {
  subject: string;
  /** The message's own id, kept. */
  messageId: string;
  /** The replay's Nats-Msg-Id. */
  publishId: string;
  data: string;
  headers: Record<string, string>;
}

/** The dead letter cannot be replayed; the message says why (for a 409). */
export class NotReplayable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotReplayable';
  }
}

const OWN_HEADERS = new Set<string>(Object.values(DEAD_LETTER_HEADERS).map((h) => h.toLowerCase()));

/** `value` without the keys whose value was redacted. */
function withoutRedacted(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutRedacted(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== REDACTED) out[k] = withoutRedacted(v, depth + 1);
  return out;
}

/** Subjects a replay may publish on: those of this prefix's JetStream streams (not request/reply). */
function replayable(prefix: string, subject: string): boolean {
  const s = subjectsFor(prefix);
  return [s.intake, s.commands, s.events].some((pattern) => subject.startsWith(pattern.slice(0, -1)));
}

/** What replaying `letter` publishes, or why it cannot be replayed. Pure. */
export function planReplay(prefix: string, letter: StoredLetter): ReplayPlan {
  const h = letter.headers;
  const subject = h[DEAD_LETTER_HEADERS.subject];
  if (!subject) throw new NotReplayable('the dead letter does not name its original subject');
  if (!replayable(prefix, subject)) {
    throw new NotReplayable(
      `${subject} is not a stream's subject (a request/reply message): its caller sends it again`,
    );
  }
  const cutFrom = h[DEAD_LETTER_HEADERS.truncated];
  if (cutFrom) {
    throw new NotReplayable(
      `the stored copy was cut from ${cutFrom} bytes: it cannot be replayed faithfully`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(letter.data));
  } catch {
    throw new NotReplayable('the payload is not JSON: no consumer would accept it');
  }
  const envelopeId =
    payload !== null && typeof payload === 'object' && typeof (payload as { id?: unknown }).id === 'string'
      ? (payload as { id: string }).id
      : undefined;
  const messageId = h[DEAD_LETTER_HEADERS.msgId] || envelopeId;
  if (!messageId) throw new NotReplayable('the dead letter has no message id to keep');
  const headers: Record<string, string> = {};
  // NATS's own headers (the letter's Nats-Msg-Id) and the dead letter's are not the message's.
  for (const [k, v] of Object.entries(h))
    if (!OWN_HEADERS.has(k.toLowerCase()) && !k.startsWith('Nats-')) headers[k] = v;
  headers[DEAD_LETTER_HEADERS.msgId] = messageId;
  headers[DEAD_LETTER_HEADERS.replayOf] = String(letter.seq);
  return {
    subject,
    messageId,
    publishId: `replay:${letter.seq}:${messageId}`,
    data: JSON.stringify(withoutRedacted(payload)),
    headers,
  };
}

const NO_MESSAGE_FOUND = 10037;

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === NO_MESSAGE_FOUND || err.status === 404);
}

/** One dead letter as stored, or undefined when there is none at `seq`. */
export async function readDeadLetter(
  nc: NatsConnection,
  prefix: string,
  seq: number,
): Promise<StoredLetter | undefined> {
  const jsm = await jetstreamManager(nc);
  try {
    const m = await jsm.streams.getMessage(streams(prefix).deadLetters, { seq });
    if (!m) return undefined;
    return { seq: m.seq, headers: headersToRecord(m.header), data: m.data };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Publish a replay on its original subject. The letter stays: a replayed message that fails again is
 * dead-lettered anew, and the operator deletes what is settled. `duplicate`: JetStream dropped it, this
 * letter was replayed moments ago (inside the duplicate window).
 */
export async function publishReplay(nc: NatsConnection, plan: ReplayPlan): Promise<{ duplicate: boolean }> {
  const ack = await publishRaw(jetstream(nc), plan.subject, plan.publishId, plan.data, {
    headers: plan.headers,
  });
  return { duplicate: ack.duplicate };
}

/** The server's answer to deleting a message that is not there (JSStreamMsgDeleteFailedF). */
const MESSAGE_DELETE_FAILED = 10057;

/** Delete the dead letter at `seq`; false when there was none. */
export async function deleteDeadLetter(nc: NatsConnection, prefix: string, seq: number): Promise<boolean> {
  if (!(await readDeadLetter(nc, prefix, seq))) return false;
  const jsm = await jetstreamManager(nc);
  try {
    return await jsm.streams.deleteMessage(streams(prefix).deadLetters, seq);
  } catch (err) {
    // Gone between the read and the delete (another operator): not there any more.
    if (isNotFound(err) || (err instanceof JetStreamApiError && err.code === MESSAGE_DELETE_FAILED))
      return false;
    throw err;
  }
}
