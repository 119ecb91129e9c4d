export { type ConsumerOptions, type MessageMeta, type Stoppable, startConsumer } from './consumer.ts';
export { DEAD_LETTER_HEADERS, type DeadLetter, listDeadLetters } from './dead-letters.ts';
export { Permanent, RetryLater } from './errors.ts';
export { type BusMetrics, metricSubject } from './metrics.ts';
export { connectNats, type NatsOptions } from './nats.ts';
export { deleteStreams, type ProvisionOptions, provision, topology } from './provision.ts';
export { type PublishOptions, publish } from './publish.ts';
export { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from './relay.ts';
export { extractContext, natsGetter } from './trace.ts';
