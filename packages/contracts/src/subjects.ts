/**
 * Every subject and stream name comes from here. A prefix keeps deployments (and test runs)
 * apart on one NATS server; it must be a single token of [a-z0-9_].
 */

const PREFIX_RE = /^[a-z][a-z0-9_]{0,31}$/;

export interface Subjects {
  readonly prefix: string;
  /** Work-queue commands. */
  readonly commands: string;
  readonly pipelineQueued: string;
  readonly jobCreate: string;
  readonly jobDelete: string;
  readonly jobCommands: string;
  /** Facts about pipelines, kept for a while. */
  readonly events: string;
  readonly pipelineFinished: string;
  pipelineStatus(pipelineId: string): string;
  readonly pipelineStatusAll: string;
  /** NATS intake for external publishers. */
  readonly intake: string;
  readonly submit: string;
  /** Core NATS request/reply API. */
  api(operation: 'create' | 'get' | 'cancel'): string;
  readonly apiAll: string;
  /** Dead letters keep the original subject after the prefix. */
  deadLetter(originalSubject: string): string;
  readonly deadLetters: string;
}

export interface Streams {
  readonly commands: string;
  readonly events: string;
  readonly intake: string;
  readonly deadLetters: string;
}

export function subjects(prefix: string): Subjects {
  if (!PREFIX_RE.test(prefix)) throw new Error(`invalid subject prefix ${JSON.stringify(prefix)}`);
  const p = prefix;
  return {
    prefix: p,
    commands: `${p}.cmd.>`,
    pipelineQueued: `${p}.cmd.pipeline.queued`,
    jobCreate: `${p}.cmd.job.create`,
    jobDelete: `${p}.cmd.job.delete`,
    jobCommands: `${p}.cmd.job.>`,
    events: `${p}.evt.>`,
    pipelineFinished: `${p}.evt.pipeline.finished`,
    pipelineStatus: (id) => `${p}.evt.status.${id}`,
    pipelineStatusAll: `${p}.evt.status.*`,
    intake: `${p}.intake.>`,
    submit: `${p}.intake.submit`,
    api: (op) => `${p}.api.${op}`,
    apiAll: `${p}.api.>`,
    deadLetter: (original) =>
      `${p}.dlq.${original.startsWith(`${p}.`) ? original.slice(p.length + 1) : original}`,
    deadLetters: `${p}.dlq.>`,
  };
}

export function streams(prefix: string): Streams {
  const P = prefix.toUpperCase();
  return {
    commands: `${P}_CMD`,
    events: `${P}_EVT`,
    intake: `${P}_INTAKE`,
    deadLetters: `${P}_DLQ`,
  };
}

/** Durable consumer names, one per role. */
export const CONSUMERS = {
  scheduler: 'scheduler',
  jobRunner: 'job-runner',
  logCollector: 'log-collector',
  intake: 'gateway-intake',
} as const;
