export { dropDatabase, ensureDatabase } from './admin.ts';
export { type AdmitOptions, admitQueued } from './admission.ts';
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
  storableText,
  storeCapture,
  truncationMarker,
} from './logs.ts';
export { migrateToLatest } from './migrate.ts';
export { activeTraceHeaders, enqueue, traceHeadersFor } from './outbox.ts';
export { getPipeline, type InsertPipelineResult, insertPipeline, insertPipelines } from './pipelines.ts';
export { type ExpireQueuedOptions, expireQueued, queueTimeoutReason } from './queue-timeout.ts';
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
export * from './schema.ts';
export { type TransitionRequest, type TransitionResult, transition } from './transition.ts';
export { inTransaction, type Tx } from './tx.ts';
