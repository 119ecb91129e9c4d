/**
 * Every subject and stream name comes from here. A prefix keeps deployments (and test runs)
 * apart on one NATS server; it must be a single token of [a-z0-9_].
 */

const PREFIX_RE = /^[a-z][a-z0-9_]{0,31}$/;
/** Tenant ids are DNS-1123 labels (as the API issues them): always one subject token. */
const TENANT_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export type ApiOperation = 'create' | 'get' | 'cancel';
export const API_OPERATIONS: readonly ApiOperation[] = ['create', 'get', 'cancel'];

/** A tenant id that can be a subject token (and a NATS user name suffix); throws otherwise. */
export function tenantToken(tenantId: string): string {
  if (!TENANT_RE.test(tenantId)) throw new Error(`invalid tenant id ${JSON.stringify(tenantId)}`);
  return tenantId;
}

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
  /** One pipeline's status changes; the tenant is a token so a tenant's NATS user may read only its own. */
  pipelineStatus(tenantId: string, pipelineId: string): string;
  /** Every status change of one tenant (what a tenant's NATS user may subscribe to). */
  tenantStatus(tenantId: string): string;
  readonly pipelineStatusAll: string;
  /** NATS intake for external publishers. */
  readonly intake: string;
  /** A tenant's JetStream submit subject: the tenant is whoever may publish here (NATS permissions). */
  submit(tenantId: string): string;
  /** What the gateway's intake consumer reads: every tenant's submit subject. */
  readonly submitAll: string;
  /** Core NATS request/reply API, one subject per operation and tenant. */
  api(operation: ApiOperation, tenantId: string): string;
  /** What the gateway subscribes to for one operation: every tenant's. */
  apiAll(operation: ApiOperation): string;
  /**
   * Where a tenant's replies arrive: its connection's inbox prefix. A tenant may subscribe only here,
   * so it never sees another client's replies.
   */
  tenantInbox(tenantId: string): string;
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
    pipelineStatus: (tenant, id) => `${p}.evt.status.${tenantToken(tenant)}.${id}`,
    tenantStatus: (tenant) => `${p}.evt.status.${tenantToken(tenant)}.*`,
    pipelineStatusAll: `${p}.evt.status.*.*`,
    intake: `${p}.intake.>`,
    submit: (tenant) => `${p}.intake.submit.${tenantToken(tenant)}`,
    submitAll: `${p}.intake.submit.*`,
    api: (op, tenant) => `${p}.api.${op}.${tenantToken(tenant)}`,
    apiAll: (op) => `${p}.api.${op}.*`,
    tenantInbox: (tenant) => `${p}.inbox.${tenantToken(tenant)}`,
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

/**
 * A subject with its variable tokens named (`{tenant}`, `{pipeline_id}`, `{operation}` kept as is): the
 * low-cardinality destination template span names and metrics use. Subjects of another shape are kept.
 */
export function subjectTemplate(subject: string): string {
  const [prefix, ...t] = subject.split('.');
  if (prefix === undefined || t.length === 0) return subject;
  const rest = t.join('.');
  const named = (tokens: string[]) => [prefix, ...tokens].join('.');
  if (t[0] === 'dlq')
    return `${prefix}.dlq.${subjectTemplate([prefix, ...t.slice(1)].join('.')).slice(prefix.length + 1)}`;
  if (t[0] === 'evt' && t[1] === 'status' && t.length === 4)
    return named(['evt', 'status', wild(t[2], '{tenant}'), wild(t[3], '{pipeline_id}')]);
  if (t[0] === 'intake' && t[1] === 'submit' && t.length === 3)
    return named(['intake', 'submit', wild(t[2], '{tenant}')]);
  if (t[0] === 'api' && t.length === 3) return named(['api', t[1] ?? '', wild(t[2], '{tenant}')]);
  if (t[0] === 'inbox' && t.length >= 2)
    return named(['inbox', wild(t[1], '{tenant}'), ...(t.length > 2 ? ['{reply}'] : [])]);
  return `${prefix}.${rest}`;
}

/** A wildcard token stays as it is (a subscription's subject); anything else is the named variable. */
const wild = (token: string | undefined, name: string) => (token === '*' || token === '>' ? token : name);
