import { createHash } from 'node:crypto';
import { JetStreamApiError, type JetStreamClient, type JsMsg, jetstreamManager } from '@nats-io/jetstream';
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { type Subjects, streams } from '@po/contracts';
import { publishRaw } from './publish.ts';
import { DEAD_LETTER_MAX_BYTES, isSecretKey, redactPayload } from './redact.ts';
import { headersToRecord } from './trace.ts';

/** Headers a dead-letter copy carries besides the original ones. */
export const DEAD_LETTER_HEADERS = {
  reason: 'Po-Dead-Letter-Reason',
  subject: 'Po-Original-Subject',
  stream: 'Po-Original-Stream',
  seq: 'Po-Original-Seq',
  deliveries: 'Po-Delivery-Count',
  /** The original payload's size in bytes, when the copy was cut to DEAD_LETTER_MAX_BYTES. */
  truncated: 'Po-Original-Size',
  /** Present when a credential was removed from the payload. */
  redacted: 'Po-Redacted',
  /**
   * The original message's id (its Nats-Msg-Id: an envelope's id, or a submitter's idempotency key),
   * which a replay keeps. NATS's own headers are not kept, so it is copied here.
   */
  msgId: 'Po-Original-Msg-Id',
  /** On a replayed message: the sequence of the dead letter it was replayed from. */
  replayOf: 'Po-Replay-Of',
} as const;

/** The id a message carries for idempotency: kept through dead-lettering and replays. */
export function originalMsgId(h: MsgHdrs | undefined): string | undefined {
  return h?.get(DEAD_LETTER_HEADERS.msgId) || h?.get('Nats-Msg-Id') || undefined;
}

export interface DeadLettered {
  /** A credential was removed from the copy: the original should not stay at rest either. */
  redacted: boolean;
}

/** The original's headers a dead letter keeps: neither NATS's own nor credential-like ones. */
function keptHeaders(h: MsgHdrs | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headersToRecord(h)).filter(([k]) => !k.startsWith('Nats-') && !isSecretKey(k)),
  );
}

/**
 * The one way to write a dead letter: a redacted copy of the payload, cut to DEAD_LETTER_MAX_BYTES,
 * with the reason and where it came from. `msgId` makes it exactly once: a second copy of the same
 * message inside the stream's duplicate window is dropped by JetStream.
 */
async function writeDeadLetter(
  js: JetStreamClient,
  subjects: Subjects,
  original: { subject: string; data: Uint8Array; headers?: MsgHdrs | undefined },
  msgId: string,
  extra: Record<string, string>,
): Promise<DeadLettered> {
  const copy = redactPayload(original.data);
  const id = originalMsgId(original.headers);
  await publishRaw(js, subjects.deadLetter(original.subject), msgId, copy.data, {
    headers: {
      ...keptHeaders(original.headers),
      ...extra,
      ...(id !== undefined ? { [DEAD_LETTER_HEADERS.msgId]: headerSafe(id) } : {}),
      [DEAD_LETTER_HEADERS.subject]: original.subject,
      ...(copy.truncatedFrom !== undefined
        ? { [DEAD_LETTER_HEADERS.truncated]: String(copy.truncatedFrom) }
        : {}),
      ...(copy.redacted ? { [DEAD_LETTER_HEADERS.redacted]: 'true' } : {}),
    },
  });
  return { redacted: copy.redacted };
}

/**
 * Copy a JetStream message to its dead-letter subject. Must happen before term(): on a work-queue
 * stream a terminated message is gone. The copy's id is derived from the original's stream position,
 * so a consumer that dies between copy and term (and sees the message again) does not dead-letter twice.
 */
export function deadLetter(js: JetStreamClient, subjects: Subjects, m: JsMsg, reason: string) {
  return writeDeadLetter(js, subjects, m, `dlq:${m.info.stream}:${m.seq}`, {
    [DEAD_LETTER_HEADERS.reason]: headerSafe(reason),
    [DEAD_LETTER_HEADERS.stream]: m.info.stream,
    [DEAD_LETTER_HEADERS.seq]: String(m.seq),
    [DEAD_LETTER_HEADERS.deliveries]: String(m.info.deliveryCount),
  });
}

/**
 * Copy a core NATS message (a request nobody can be answered for) to its dead-letter subject. Its
 * id is its content's hash: the same message dead-lettered twice inside the window is kept once.
 */
export function deadLetterRequest(js: JetStreamClient, subjects: Subjects, m: Msg, reason: string) {
  const id = createHash('sha256').update(m.subject).update('\0').update(m.data).digest('hex');
  return writeDeadLetter(js, subjects, m, `dlq:core:${id}`, {
    [DEAD_LETTER_HEADERS.reason]: headerSafe(reason),
    [DEAD_LETTER_HEADERS.deliveries]: '1',
  });
}

/** Header values are one line; keep reasons short too. */
export function headerSafe(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 1000);
}

export interface DeadLetter {
  seq: number;
  time: Date;
  subject: string;
  originalSubject: string;
  reason: string;
  deliveries: number;
  /** The stored payload (redacted, at most DEAD_LETTER_MAX_BYTES): parsed JSON when it is JSON, else the text. */
  payload: unknown;
  /** The original payload's size when the stored copy is cut. */
  truncatedFrom?: number;
  /** The original message's id (what a replay keeps), when known. */
  messageId?: string;
}

export interface DeadLetterPage {
  letters: DeadLetter[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: number;
}

const NO_MESSAGE_FOUND = 10037;

/**
 * The dead letters newest first, `limit` at a time, starting below sequence `before` (for the
 * gateway's admin endpoint). Payloads are redacted and cut again on the way out, so letters written
 * before redaction existed leak nothing either.
 */
export async function listDeadLetters(
  nc: NatsConnection,
  prefix: string,
  page: { limit: number; before?: number | undefined },
): Promise<DeadLetterPage> {
  const jsm = await jetstreamManager(nc);
  const stream = streams(prefix).deadLetters;
  const { state } = await jsm.streams.info(stream);
  const letters: DeadLetter[] = [];
  let seq = Math.min(state.last_seq, (page.before ?? Number.POSITIVE_INFINITY) - 1);
  for (; seq >= state.first_seq && seq > 0 && letters.length < page.limit; seq--) {
    let m: Awaited<ReturnType<typeof jsm.streams.getMessage>>;
    try {
      m = await jsm.streams.getMessage(stream, { seq });
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === NO_MESSAGE_FOUND || err.status === 404)) continue;
      throw err;
    }
    if (!m) continue;
    const h = m.header;
    const copy = redactPayload(m.data, DEAD_LETTER_MAX_BYTES);
    const text = new TextDecoder().decode(copy.data);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text;
    }
    const stored = Number(h.get(DEAD_LETTER_HEADERS.truncated)) || copy.truncatedFrom;
    letters.push({
      seq: m.seq,
      time: m.time,
      subject: m.subject,
      originalSubject: h.get(DEAD_LETTER_HEADERS.subject),
      reason: h.get(DEAD_LETTER_HEADERS.reason),
      deliveries: Number(h.get(DEAD_LETTER_HEADERS.deliveries)) || 0,
      payload,
      ...(stored ? { truncatedFrom: stored } : {}),
      ...(h.get(DEAD_LETTER_HEADERS.msgId) ? { messageId: h.get(DEAD_LETTER_HEADERS.msgId) } : {}),
    });
  }
  const more = letters.length === page.limit && seq >= state.first_seq && seq > 0;
  const last = letters.at(-1);
  return more && last ? { letters, next: last.seq } : { letters };
}
