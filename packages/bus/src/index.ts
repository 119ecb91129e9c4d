export { type ConsumerOptions, type MessageMeta, type Stoppable, startConsumer } from './consumer.ts';
export { consumerBacklog } from './consumer-info.ts';
export {
  DEAD_LETTER_HEADERS,
  type DeadLetter,
  type DeadLetterPage,
  deadLetterRequest,
  listDeadLetters,
  originalMsgId,
} from './dead-letters.ts';
export { Permanent, RetryLater } from './errors.ts';
export { type BusMetrics, metricSubject } from './metrics.ts';
export { connectNats, type NatsOptions } from './nats.ts';
export { type NatsAuthOptions, type PasswordSource, passwordEnvName, renderNatsAuth } from './nats-auth.ts';
export {
  natsUserOf,
  SERVICE_ROLES,
  type ServiceRole,
  type SubjectPermissions,
  serviceInbox,
  servicePermissions,
  tenantPermissions,
} from './permissions.ts';
export { deleteStreams, type ProvisionOptions, provision, topology } from './provision.ts';
export { type PublishOptions, publish } from './publish.ts';
export { DEAD_LETTER_MAX_BYTES, REDACTED, redactPayload, redactValue } from './redact.ts';
export { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from './relay.ts';
export {
  deleteDeadLetter,
  NotReplayable,
  planReplay,
  publishReplay,
  type ReplayPlan,
  readDeadLetter,
  type StoredLetter,
} from './replay.ts';
export { extractContext, natsGetter } from './trace.ts';
