/** The database as kysely sees it. Keep in step with ./migrations. */

import type { PipelineStatus, PipelineType, Priority, RenderedJob } from '@po/contracts';
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** Has a database default (now()), so optional on insert. */
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: read as the value, written as a JSON string (pg turns JS arrays into Postgres arrays). */
type Json<T> = ColumnType<T, string, string>;
type BigSerial = ColumnType<string, never, never>;

export interface PipelinesTable {
  id: string;
  tenant_id: ColumnType<string, string | undefined, never>;
  pipeline_type: Json<PipelineType>;
  template: string;
  template_version: number;
  config: Json<Record<string, unknown>>;
  priority: Priority;
  priority_rank: number;
  timeout_seconds: number;
  namespace: string;
  job: Json<RenderedJob>;
  status: PipelineStatus;
  reason: string | null;
  /** The current attempt (1-based); a retry or restart increments it on the way to Queued. */
  attempt: ColumnType<number, number | undefined, number>;
  max_attempts: ColumnType<number, number | undefined, number>;
  /** Null while the current attempt waits in the queue; set when the scheduler admits it. */
  admitted_at: NullableTimestamp;
  traceparent: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: CreatedAt;
  updated_at: DefaultedTimestamp;
  queued_at: DefaultedTimestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  /** The finished_at of the run whose logs the retention sweep deleted (logs kept: null or another). */
  logs_deleted_for: NullableTimestamp;
  /** CPU requested by the pipeline's pods together (parallelism counted), millicores; bigint (read as a string). */
  cpu_millis: ColumnType<string, number | undefined, number>;
  /** Memory requested by the pipeline's pods together, bytes; bigint (read as a string). */
  memory_bytes: ColumnType<string, number | undefined, number>;
}

export interface PipelineAttemptsTable {
  pipeline_id: string;
  attempt: number;
  job_name: string;
  namespace: string;
  admitted_at: DefaultedTimestamp;
  job_created_at: NullableTimestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  /** The attempt's own status: Queued from admission, Running, then its outcome (a retried attempt's stays Failed). */
  status: ColumnType<PipelineStatus | null, PipelineStatus | undefined, PipelineStatus>;
  exit_code: number | null;
  reason: string | null;
  logs_captured_at: NullableTimestamp;
  logs_bytes: ColumnType<number, number | undefined, number>;
  logs_truncated: ColumnType<boolean, boolean | undefined, boolean>;
  job_deleted_at: NullableTimestamp;
  /** How many times the watcher asked again for a Job that had not appeared (bounded). */
  job_create_requests: ColumnType<number, number | undefined, number>;
  job_create_requested_at: NullableTimestamp;
  /** The uid of the Job the job-runner created (null: not created by it, or it found one there). */
  job_uid: ColumnType<string | null, string | null | undefined, string | null>;
}

export type PipelineEventKind =
  | 'transition'
  | 'admitted'
  | 'job_created'
  | 'logs_captured'
  | 'job_deleted'
  | 'job_create_requested'
  | 'pod_disrupted'
  | 'dead_lettered';

export interface PipelineEventsTable {
  id: BigSerial;
  pipeline_id: string;
  attempt: number;
  kind: PipelineEventKind;
  from_status: PipelineStatus | null;
  to_status: PipelineStatus | null;
  reason: string | null;
  at: CreatedAt;
}

export interface PipelineLogsTable {
  id: BigSerial;
  pipeline_id: string;
  attempt: number;
  pod_name: string;
  /** The kubelet's timestamp of the line, when known. */
  ts: Date | null;
  line: string;
}

export interface OutboxTable {
  id: BigSerial;
  msg_id: string;
  subject: string;
  payload: Json<unknown>;
  headers: Json<Record<string, string>>;
  created_at: CreatedAt;
  published_at: NullableTimestamp;
}

export interface TemplatesTable {
  name: string;
  version: number;
  spec: Json<Record<string, unknown>>;
  tenant_id: string;
  created_at: CreatedAt;
  deleted_at: NullableTimestamp;
}

export type Role = 'admin' | 'submitter' | 'viewer';

export interface ApiKeysTable {
  id: Generated<string>;
  tenant_id: string;
  role: Role;
  name: string;
  key_hash: string;
  created_at: CreatedAt;
  revoked_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: BigSerial;
  at: CreatedAt;
  actor: string;
  tenant_id: string | null;
  action: string;
  target: string | null;
  request_id: string | null;
  client_addr: string | null;
  outcome: string;
  /** The status the caller was answered with (HTTP; the NATS intake uses the same codes). */
  status: number | null;
  details: Json<Record<string, unknown>> | null;
}

export interface TenantQuotasTable {
  tenant_id: string;
  /** Pipelines of the tenant Running or admitted at once; null: the platform default. */
  max_running: number | null;
  /** Pipelines of the tenant waiting in the queue, beyond which submissions are refused; null: the default. */
  max_queued: number | null;
  /** The tenant's CPU quota as set (a Kubernetes quantity) and in millicores; null: the default. */
  max_cpu: string | null;
  max_cpu_millis: ColumnType<string | null, number | null | undefined, number | null>;
  /** The tenant's memory quota as set and in bytes; null: the default. */
  max_memory: string | null;
  max_memory_bytes: ColumnType<string | null, number | null | undefined, number | null>;
  updated_at: DefaultedTimestamp;
}

/** Why a tenant's next waiting pipeline was not admitted in the scheduler's latest pass. */
export interface QueueStatesTable {
  tenant_id: string;
  reason: string;
  message: string;
  details: Json<Record<string, number | string | null>>;
  checked_at: DefaultedTimestamp;
}

export interface Database {
  pipelines: PipelinesTable;
  pipeline_attempts: PipelineAttemptsTable;
  pipeline_events: PipelineEventsTable;
  pipeline_logs: PipelineLogsTable;
  outbox: OutboxTable;
  templates: TemplatesTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  tenant_quotas: TenantQuotasTable;
  queue_states: QueueStatesTable;
}

export type Pipeline = Selectable<PipelinesTable>;
export type NewPipeline = Insertable<PipelinesTable>;
export type PipelineAttempt = Selectable<PipelineAttemptsTable>;
export type PipelineEvent = Selectable<PipelineEventsTable>;
export type PipelineLog = Selectable<PipelineLogsTable>;
export type OutboxRow = Selectable<OutboxTable>;
