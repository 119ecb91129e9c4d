/**
 * The fuzz suite's one door to the NATS intake (JetStream submit + core request/reply). Everything
 * about how a NATS client connects and proves who it is lives here, so a change of transport or
 * authentication changes this file only. Today: a private nats-server with the infra configuration;
 * each tenant is a NATS user allowed only its own subjects, the gateway a service user.
 */
import { JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS, provision, type Stoppable } from '@po/bus';
import { streams } from '@po/contracts';
import { startNats } from '@po/devstack';
import { pino } from 'pino';
import { startIntake } from '../nats/intake.ts';
import type { Harness } from '../testing/harness.ts';

export type ApiOp = 'create' | 'get' | 'cancel';

export interface NatsTarget {
  /** The tenants that have a NATS identity here. */
  readonly tenants: readonly string[];
  /**
   * JetStream submit as `tenant`; `sent: false` when the client library refuses the message itself.
   * `key` is the Nats-Msg-Id as the stream holds it — what the gateway reads — which is not always the
   * one given: the client trims header values (a trailing form feed goes).
   */
  submit(
    tenant: string,
    data: Uint8Array,
    msgId: string | undefined,
  ): Promise<{ sent: false } | { sent: true; duplicate: boolean; seq: number; key: string | null }>;
  request(
    tenant: string,
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

export async function startNatsTarget(
  h: Harness,
  tenants: string[],
  logErrors: (msg: string) => void,
): Promise<NatsTarget> {
  const { subjects } = h.deps;
  const nats = await startNats({ prefix: subjects.prefix, tenants });
  const provisioner = await nats.connect(nats.service('provisioner'));
  await provision(provisioner, subjects.prefix);
  await provisioner.close();
  const gateway = await nats.connect(nats.service('gateway'), 'gateway-fuzz');
  const operator = await nats.connect(nats.operator, 'fuzz-inspector');
  const as = new Map<string, NatsConnection>();
  for (const t of tenants) as.set(t, await nats.connect(nats.tenant(t), `fuzz-${t}`));
  const conn = (t: string) => {
    const c = as.get(t);
    if (!c) throw new Error(`no NATS identity for ${t}`);
    return c;
  };
  const logger = pino({ level: 'error' }, { write: (line: string) => logErrors(line) });
  const intake: Stoppable = startIntake({
    nc: gateway,
    db: h.deps.db,
    subjects,
    service: h.deps.service,
    logger,
  });
  const jsm = await jetstreamManager(operator);
  const names = streams(subjects.prefix);
  const dead = new Map<number, string[]>();
  let readUpTo = 0;

  return {
    tenants,
    async submit(tenant, data, msgId) {
      let ack: Awaited<ReturnType<ReturnType<typeof jetstream>['publish']>>;
      try {
        ack = await jetstream(conn(tenant)).publish(
          subjects.submit(tenant),
          data,
          msgId === undefined ? {} : { msgID: msgId },
        );
      } catch (err) {
        // Header values the client cannot encode never leave it.
        if (err instanceof JetStreamApiError) throw err;
        if (err instanceof Error && /header|invalid/i.test(err.message)) return { sent: false };
        throw err;
      }
      const stored = await jsm.streams.getMessage(names.intake, { seq: ack.seq }).catch(() => null);
      return {
        sent: true,
        duplicate: ack.duplicate,
        seq: ack.seq,
        key: stored?.header.get('Nats-Msg-Id') || null,
      };
    },
    async request(tenant, op, data, deadlineMs) {
      try {
        const m = await conn(tenant).request(subjects.api(op, tenant), data, { timeout: deadlineMs });
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
      return `#${seq} on ${m.subject}: ${JSON.stringify(headers)} ${m.string().slice(0, 300)}`;
    },
    async submitDeadLetters() {
      const { state } = await jsm.streams.info(names.deadLetters);
      for (; readUpTo < state.last_seq; readUpTo++) {
        const m = await jsm.streams.getMessage(names.deadLetters, { seq: readUpTo + 1 }).catch(() => null);
        const original = m?.header.get(DEAD_LETTER_HEADERS.subject);
        if (!m || !tenants.some((t) => original === subjects.submit(t))) continue;
        const seq = Number(m.header.get(DEAD_LETTER_HEADERS.seq));
        dead.set(seq, [...(dead.get(seq) ?? []), m.header.get(DEAD_LETTER_HEADERS.reason)]);
      }
      return dead;
    },
    async stop() {
      await intake.stop();
      for (const c of as.values()) await c.close();
      await operator.close();
      await gateway.close();
      await nats.stop();
    },
  };
}
