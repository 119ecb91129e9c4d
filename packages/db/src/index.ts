export { dropDatabase, ensureDatabase } from './admin.ts';
export { type AdmitOptions, admitQueued, effectiveRank } from './admission.ts';
export {
  getAttempt,
  type LogsCaptured,
  markJobCreated,
  markJobDeleted,
  markLogsCaptured,
} from './attempts.ts';
export { type AuditEntry, auditRow, auditText, recordAudit } from './audit.ts';
export { createDb, type DbHandle, type DbOptions } from './client.ts';
export { CHANNELS, type Listener, type ListenOptions, listen } from './listen.ts';
export {
  type AppendLogs,
  type AppendLogsResult,
  appendLogs,
  type StoreCapture,
  type StoreCaptureResult,
  storableText,
  storeCapture,
  truncationMarker,
} from './logs.ts';
export { migrateToLatest } from './migrate.ts';
export {
  activeTraceHeaders,
  enqueue,
  markOutboxPublished,
  type OutboxRow,
  relayOutbox,
  traceHeadersFor,
} from './outbox.ts';
export { getPipeline, type InsertPipelineResult, insertPipeline, insertPipelines } from './pipelines.ts';
export {
  admissionOrder,
  pickAdmissions,
  type QueuedRow,
  type QueueState,
  queueStates,
  type Room,
  type TenantRoom,
} from './queue-plan.ts';
export { type ExpireQueuedOptions, expireQueued, queueTimeoutReason } from './queue-timeout.ts';
export { type QueuePlace, queuePlaces } from './queue-view.ts';
export {
  getTenantQuota,
  setTenantQuota,
  type TenantQuota,
  type TenantQuotaUsage,
  tenantQuotaUsage,
} from './quotas.ts';
export {
  type AttemptState,
  type JobCreateRequest,
  listJobHolders,
  readAttemptState,
  recordPodDisruption,
  requestJobCreateAgain,
} from './reconcile.ts';
export { RETENTION_KINDS, type RetentionKind, sweepBatch } from './retention.ts';
export * from './schema.ts';
export { outboxLagSeconds, type QueueDepth, queueDepth } from './stats.ts';
export { type TransitionRequest, type TransitionResult, transition } from './transition.ts';
export { inTransaction, type Tx } from './tx.ts';
