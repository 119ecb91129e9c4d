/**
 * Why a queued pipeline waits (GET /pipelines/:id, `queue.reason`). The scheduler records, per
 * tenant, why the tenant's next pipeline was not admitted in its latest pass; an admitted pipeline
 * whose Job is not there yet waits for Kubernetes.
 */
export const QUEUE_REASONS = [
  /** Nothing blocks it but the pipelines ahead of it (or the scheduler has not looked at it yet). */
  'Queued',
  /** The tenant's max_running is 0. */
  'TenantPaused',
  /** The tenant has max_running pipelines running or admitted. */
  'TenantConcurrencyQuota',
  /** The tenant's CPU or memory in use plus its next pipeline's requests exceed its quota. */
  'TenantResourceQuota',
  /** SCHEDULER_MAX_RUNNING pipelines run in all, or the global CPU or memory quota is full. */
  'GlobalQuota',
  /** Admitted: its Job is being created or its pod started (if it lasts, the Kubernetes API is failing or refusing, or the cluster has no room). */
  'WaitingForKubernetes',
] as const;
export type QueueReason = (typeof QUEUE_REASONS)[number];
