/** The API's JSON shapes the console reads (see the gateway's /openapi.json). */
export interface Pipeline {
  id: string;
  job_name: string;
  status: string;
  created_at: string;
  updated_at: string;
  config: Record<string, unknown>;
  pipeline_type: unknown;
  priority: string;
  timeout_seconds: number;
  reason: string | null;
  attempt: number;
}

export interface Attempt {
  attempt: number;
  job_name: string;
  status: string | null;
  admitted_at: string | null;
  job_created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  reason: string | null;
  logs_bytes: number;
  logs_truncated: boolean;
}

export interface PipelineDetail extends Pipeline {
  template: string;
  template_version: number;
  max_attempts: number;
  attempts: Attempt[];
  timing: {
    created_at: string;
    queued_at: string | null;
    admitted_at: string | null;
    started_at: string | null;
    finished_at: string | null;
    queue_seconds: number | null;
    run_seconds: number | null;
    total_seconds: number | null;
  };
  /** Present when a trace UI is configured. */
  trace_url?: string;
}

export interface PipelineEvent {
  id: number;
  attempt: number;
  kind: string;
  from: string | null;
  to: string | null;
  reason: string | null;
  at: string;
}

export interface LogLine {
  attempt: number;
  pod: string;
  ts: string | null;
  line: string;
  truncated?: boolean;
}

export interface Template {
  name: string;
  version: number;
  builtin: boolean;
  description: string;
  image: string;
  config_schema: Record<string, unknown>;
  defaults: Record<string, unknown>;
  default_timeout_seconds: number;
  resources: Record<string, string>;
}

export interface WhoAmI {
  tenant_id: string;
  role: string;
  key_id: string | null;
  key_name: string;
}

export interface Quota {
  tenant_id: string;
  max_running: number;
  max_queued: number;
  overrides: { max_running: number | null; max_queued: number | null };
  running: number;
  queued: number;
}

export interface DeadLetter {
  seq: number;
  time: string;
  subject: string;
  original_subject: string;
  reason: string;
  deliveries: number;
  payload: unknown;
  truncated_from?: number;
}

export const STATUSES = ['Queued', 'Running', 'Succeeded', 'Failed', 'Timeout', 'Cancelled'];
export const PRIORITIES = ['Low', 'Normal', 'High', 'Critical'];
export const BUILTIN_TYPES = ['DataProcessing', 'ModelTraining', 'ETL', 'Backup'];
