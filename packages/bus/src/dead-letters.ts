import { JetStreamApiError, type JetStreamClient, type JsMsg, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Subjects, streams } from '@po/contracts';
import { publishRaw } from './publish.ts';
import { headersToRecord } from './trace.ts';

/** Headers a dead-letter copy carries besides the original ones. */
export const DEAD_LETTER_HEADERS = {
  reason: 'Po-Dead-Letter-Reason',
  subject: 'Po-Original-Subject',
  stream: 'Po-Original-Stream',
  seq: 'Po-Original-Seq',
  deliveries: 'Po-Delivery-Count',
} as const;

/**
 * Copy a message to its dead-letter subject. Must happen before term(): on a work-queue stream a
 * terminated message is gone. The copy's id is derived from the original's stream position, so a
 * consumer that dies between copy and term does not dead-letter twice.
 */
export async function deadLetter(
  js: JetStreamClient,
  subjects: Subjects,
  m: JsMsg,
  reason: string,
): Promise<void> {
  const original = Object.fromEntries(
    Object.entries(headersToRecord(m.headers)).filter(([k]) => !k.startsWith('Nats-')),
  );
  await publishRaw(js, subjects.deadLetter(m.subject), `dlq:${m.info.stream}:${m.seq}`, m.data, {
    headers: {
      ...original,
      [DEAD_LETTER_HEADERS.reason]: headerSafe(reason),
      [DEAD_LETTER_HEADERS.subject]: m.subject,
      [DEAD_LETTER_HEADERS.stream]: m.info.stream,
      [DEAD_LETTER_HEADERS.seq]: String(m.seq),
      [DEAD_LETTER_HEADERS.deliveries]: String(m.info.deliveryCount),
    },
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
  /** The original payload: parsed JSON when it is JSON, else the text. */
  payload: unknown;
}

const NO_MESSAGE_FOUND = 10037;

/** The most recent dead letters, newest first (for the gateway's admin endpoint). */
export async function listDeadLetters(
  nc: NatsConnection,
  prefix: string,
  limit: number,
): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc);
  const stream = streams(prefix).deadLetters;
  const { state } = await jsm.streams.info(stream);
  const out: DeadLetter[] = [];
  for (let seq = state.last_seq; seq >= state.first_seq && seq > 0 && out.length < limit; seq--) {
    let m: Awaited<ReturnType<typeof jsm.streams.getMessage>>;
    try {
      m = await jsm.streams.getMessage(stream, { seq });
    } catch (err) {
      if (err instanceof JetStreamApiError && (err.code === NO_MESSAGE_FOUND || err.status === 404)) continue;
      throw err;
    }
    if (!m) continue;
    const h = m.header;
    let payload: unknown;
    try {
      payload = m.json();
    } catch {
      payload = m.string();
    }
    out.push({
      seq: m.seq,
      time: m.time,
      subject: m.subject,
      originalSubject: h.get(DEAD_LETTER_HEADERS.subject),
      reason: h.get(DEAD_LETTER_HEADERS.reason),
      deliveries: Number(h.get(DEAD_LETTER_HEADERS.deliveries)) || 0,
      payload,
    });
  }
  return out;
}
