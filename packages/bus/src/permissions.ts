/**
 * Who may publish and subscribe to what on the bus (invariant 10): one NATS user per service role,
 * one per tenant, each allowed exactly the subjects its code uses. Derived from the contracts'
 * builders, so a renamed subject changes the permissions with it. Pure: rendering into a server
 * configuration is `renderNatsAuth`.
 */
import { API_OPERATIONS, CONSUMERS, streams, subjects, tenantToken } from '@po/contracts';

export const SERVICE_ROLES = [
  'gateway',
  'scheduler',
  'job-runner',
  'watcher',
  'log-collector',
  /** Creates and updates the streams and durable consumers (dev command, deploy step). */
  'provisioner',
] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export interface SubjectPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests it received (the gateway's request/reply API), and nothing else on `_INBOX`. */
  allowResponses?: boolean;
}

/** A service's replies (JetStream API answers, pull-consumer deliveries) arrive under here. */
export function serviceInbox(prefix: string, role: ServiceRole | (string & {})): string {
  return `_INBOX.${prefix}.${role}`;
}

/** The NATS user name of a service role or a tenant. */
export function natsUserOf(prefix: string, who: { role: ServiceRole } | { tenant: string }): string {
  return 'role' in who ? `${prefix}-${who.role}` : `${prefix}-tenant-${tenantToken(who.tenant)}`;
}

/**
 * A durable pull consumer: look it up, pull, ack, and remove a dead-lettered original (from a work
 * queue on servers before 2.10, and any that carried a credential).
 */
function consumerOf(stream: string, consumer: string): string[] {
  return [
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
    `$JS.ACK.${stream}.${consumer}.>`,
    `$JS.API.STREAM.MSG.DELETE.${stream}`,
  ];
}

export function servicePermissions(prefix: string): Record<ServiceRole, SubjectPermissions> {
  const s = subjects(prefix);
  const n = streams(prefix);
  // Every service runs an outbox relay (one is active at a time), so every service publishes the
  // outbox's subjects: commands and events. A message is never an order (invariant 10), so what a
  // service could forge there is at most a repeat of an idempotent step.
  const relay = [s.commands, s.events];
  const inbox = (role: ServiceRole) => [`${serviceInbox(prefix, role)}.>`];
  return {
    gateway: {
      publish: [
        ...relay,
        s.deadLetters,
        ...consumerOf(n.intake, CONSUMERS.intake),
        // GET /dead-letters reads the dead-letter stream and DELETE removes one. A replay publishes
        // commands and events (the relay's subjects); a submission is replayed in the gateway itself,
        // so no service ever publishes on a tenant's submit subject.
        `$JS.API.STREAM.INFO.${n.deadLetters}`,
        `$JS.API.STREAM.MSG.GET.${n.deadLetters}`,
        `$JS.API.STREAM.MSG.DELETE.${n.deadLetters}`,
      ],
      subscribe: [...inbox('gateway'), ...API_OPERATIONS.map((op) => s.apiAll(op))],
      allowResponses: true,
    },
    scheduler: {
      publish: [...relay, s.deadLetters, ...consumerOf(n.commands, CONSUMERS.scheduler)],
      subscribe: inbox('scheduler'),
    },
    'job-runner': {
      publish: [...relay, s.deadLetters, ...consumerOf(n.commands, CONSUMERS.jobRunner)],
      subscribe: inbox('job-runner'),
    },
    watcher: { publish: relay, subscribe: inbox('watcher') },
    'log-collector': {
      publish: [...relay, s.deadLetters, ...consumerOf(n.events, CONSUMERS.logCollector)],
      subscribe: inbox('log-collector'),
    },
    provisioner: {
      publish: [
        '$JS.API.INFO',
        ...Object.values(n).flatMap((stream) => [
          `$JS.API.STREAM.*.${stream}`,
          `$JS.API.CONSUMER.*.${stream}.>`,
        ]),
      ],
      subscribe: inbox('provisioner'),
    },
  };
}

/**
 * A tenant's NATS identity: it may submit, ask and read statuses for itself only. Its connection
 * must use `subjects.tenantInbox(tenant)` as inbox prefix (replies and PubAcks arrive there).
 */
export function tenantPermissions(prefix: string, tenant: string): SubjectPermissions {
  const s = subjects(prefix);
  return {
    publish: [s.submit(tenant), ...API_OPERATIONS.map((op) => s.api(op, tenant))],
    subscribe: [s.tenantStatus(tenant), `${s.tenantInbox(tenant)}.>`],
  };
}
