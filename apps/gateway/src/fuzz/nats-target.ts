/**
 * The fuzz suite's one door to the NATS intake (JetStream submit + core request/reply). Everything
 * about how a NATS client connects and proves who it is lives here, so a change of transport or
 * authentication changes this file only.
 */
import { JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, DEAD_LETTER_HEADERS, deleteStreams, provision, type Stoppable } from '@po/bus';
import { streams } from '@po/contracts';
import { pino } from 'pino';
import { startIntake } from '../nats/intake.ts';
import type { Harness } from '../testing/harness.ts';

export type ApiOp = 'create' | 'get' | 'cancel';

export interface NatsTarget {
  /** A request body as the holder of `credential` sends it (today: `api_key` in the body). */
  signed(body: Record<string, unknown>, credential: string): Record<string, unknown>;
  /** JetStream submit; `sent: false` when the client library refuses the message itself. */
  submit(
    data: Uint8Array,
    msgId: string | undefined,
  ): Promise<{ sent: false } | { sent: true; duplicate: boolean; seq: number }>;
  request(
    op: ApiOp,
    data: Uint8Array,
    deadlineMs: number,
  ): Promise<{ status: number; body: string } | 'timeout'>;
  /** A submission as the stream holds it, for a failure's message. */
  describeSubmission(seq: number): Promise<string>;
  /** Dead letters of submissions so far: the submission's stream sequence -> the reasons given. */
  submitDeadLetters(): Promise<Map<number, string[]>>;
  stop(): Promise<void>;
}

export async function startNatsTarget(h: Harness, logErrors: (msg: string) => void): Promise<NatsTarget> {
  const { subjects } = h.deps;
  const nc: NatsConnection = await connectNats({ servers: 'nats://127.0.0.1:4222', name: 'gateway-fuzz' });
  await provision(nc, subjects.prefix);
  const logger = pino({ level: 'error' }, { write: (line: string) => logErrors(line) });
  const intake: Stoppable = startIntake({
    nc,
    db: h.deps.db,
    subjects,
    service: h.deps.service,
    keys: h.deps.keys,
    logger,
  });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const names = streams(subjects.prefix);
  const dead = new Map<number, string[]>();
  let readUpTo = 0;

  return {
    signed: (body, credential) => ({ ...body, api_key: credential }),
    async submit(data, msgId) {
      let ack: Awaited<ReturnType<typeof js.publish>>;
      try {
        ack = await js.publish(subjects.submit, data, msgId === undefined ? {} : { msgID: msgId });
      } catch (err) {
        // Header values the client cannot encode never leave it.
        if (err instanceof JetStreamApiError) throw err;
        if (err instanceof Error && /header|invalid/i.test(err.message)) return { sent: false };
        throw err;
      }
      return { sent: true, duplicate: ack.duplicate, seq: ack.seq };
    },
    async request(op, data, deadlineMs) {
      try {
        const m = await nc.request(subjects.api(op), data, { timeout: deadlineMs });
        return { status: Number(m.headers?.get('Po-Status')), body: m.string() };
      } catch (err) {
        if (err instanceof Error && /timeout/i.test(`${err.name} ${err.message}`)) return 'timeout';
        throw err;
      }
    },
    async describeSubmission(seq) {
      const m = await jsm.streams.getMessage(names.intake, { seq }).catch(() => null);
      if (!m) return `#${seq}: gone`;
      const headers = Object.fromEntries([...m.header.keys()].map((k) => [k, m.header.get(k)]));
      return `#${seq}: ${JSON.stringify(headers)} ${m.string().slice(0, 300)}`;
    },
    async submitDeadLetters() {
      const { state } = await jsm.streams.info(names.deadLetters);
      for (; readUpTo < state.last_seq; readUpTo++) {
        const m = await jsm.streams.getMessage(names.deadLetters, { seq: readUpTo + 1 }).catch(() => null);
        if (m?.header.get(DEAD_LETTER_HEADERS.subject) !== subjects.submit) continue;
        const seq = Number(m.header.get(DEAD_LETTER_HEADERS.seq));
        dead.set(seq, [...(dead.get(seq) ?? []), m.header.get(DEAD_LETTER_HEADERS.reason)]);
      }
      return dead;
    },
    async stop() {
      await intake.stop();
      await deleteStreams(nc, subjects.prefix);
      await nc.close();
    },
  };
}
