/**
 * The operator's dead letters: list, replay, delete. A replayed submission goes to the intake's own
 * handler (no service publishes on a tenant's submit subject); a command or event is published again
 * on its stream. Either way the message keeps its id, so a second replay changes nothing.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type DeadLetterPage,
  deleteDeadLetter,
  listDeadLetters,
  planReplay,
  publishReplay,
  readDeadLetter,
} from '@po/bus';
import type { Subjects } from '@po/contracts';
import { errors } from '../errors/api-error.ts';
import type { Submission } from '../nats/intake.ts';

export interface ReplayOutcome {
  seq: number;
  originalSubject: string;
  /** The id the message kept (a submitter's idempotency key, an envelope's id). */
  messageId: string;
  /** `intake`: handed to the gateway's NATS intake; `stream`: published again on its stream. */
  via: 'intake' | 'stream';
  /** intake: the pipeline the submission names, and whether this replay created it. */
  pipelineId?: string;
  created?: boolean;
  /** stream: JetStream dropped it as a repeat of a replay moments ago. */
  duplicate?: boolean;
}

export interface DeadLetters {
  list(page: { limit: number; before?: number | undefined }): Promise<DeadLetterPage>;
  /** undefined: no such letter. Throws NotReplayable, or the intake's refusal (an ApiError). */
  replay(seq: number): Promise<ReplayOutcome | undefined>;
  /** false: no such letter. */
  remove(seq: number): Promise<boolean>;
}

export type SubmitHandler = (
  raw: Record<string, unknown>,
  s: Submission,
) => Promise<{ id: string; created: boolean }>;

export function natsDeadLetters(d: {
  nc: NatsConnection;
  subjects: Subjects;
  submit: SubmitHandler;
}): DeadLetters {
  const prefix = d.subjects.prefix;
  const submitBase = d.subjects.submitAll.slice(0, -1);
  return {
    list: (page) => listDeadLetters(d.nc, prefix, page),
    remove: (seq) => deleteDeadLetter(d.nc, prefix, seq),
    async replay(seq) {
      const letter = await readDeadLetter(d.nc, prefix, seq);
      if (!letter) return undefined;
      const plan = planReplay(prefix, letter);
      const base = { seq, originalSubject: plan.subject, messageId: plan.messageId };
      if (plan.subject.startsWith(submitBase)) {
        const raw: unknown = JSON.parse(plan.data);
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
          throw errors.invalidConfig('body: must be a JSON object');
        const r = await d.submit(raw as Record<string, unknown>, {
          subject: plan.subject,
          key: plan.messageId,
        });
        return { ...base, via: 'intake', pipelineId: r.id, created: r.created };
      }
      const r = await publishReplay(d.nc, plan);
      return { ...base, via: 'stream', duplicate: r.duplicate };
    },
  };
}

/** Without a bus (tests, tools): nothing is dead-lettered. */
export const noDeadLetters: DeadLetters = {
  list: async () => ({ letters: [] }),
  replay: async () => undefined,
  remove: async () => false,
};
