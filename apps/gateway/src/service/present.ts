import { jobNameFor, type PipelineResponse, type QueueReason } from '@po/contracts';
import type { Pipeline, PipelineAttempt, PipelineEvent, QueuePlace } from '@po/db';
import { traceIdOf } from '@po/telemetry';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const seconds = (from: Date | null, to: Date | null) =>
  from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : null;

/** The seed's PipelineResponse (plus the documented additive fields). */
export function toResponse(p: Pipeline): PipelineResponse {
  return {
    id: p.id,
    job_name: jobNameFor(p.id, p.attempt),
    status: p.status,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
    config: p.config,
    pipeline_type: p.pipeline_type,
    priority: p.priority,
    timeout_seconds: p.timeout_seconds,
    reason: p.reason,
    attempt: p.attempt,
  };
}

export interface QueueView {
  reason: QueueReason;
  message: string;
  details: Record<string, number | string | null>;
  position: { tenant: number; overall: number } | null;
  checked_at: string | null;
}

/**
 * Why and where a Queued pipeline waits: an admitted one waits for its Job (Kubernetes); a waiting
 * one carries its tenant's state from the scheduler's latest pass — unless that pass was before the
 * pipeline was queued (then nothing has looked at it yet) — and its place in the queue.
 */
export function toQueue(p: Pipeline, place: QueuePlace | undefined): QueueView | null {
  if (p.status !== 'Queued') return null;
  if (p.admitted_at !== null)
    return {
      reason: 'WaitingForKubernetes',
      message: `admitted at ${p.admitted_at.toISOString()}; waiting for Kubernetes to create and start its Job (if this lasts, the Kubernetes API is failing or refusing, or the cluster has no room for its pod)`,
      details: { admitted_at: p.admitted_at.toISOString() },
      position: null,
      checked_at: null,
    };
  const position = place ? { tenant: place.tenantPosition, overall: place.overallPosition } : null;
  if (!place?.reason || !place.checkedAt || place.checkedAt < p.queued_at)
    return {
      reason: 'Queued',
      message: 'queued; the scheduler has not looked at it yet',
      details: {},
      position,
      checked_at: null,
    };
  return {
    reason: place.reason as QueueReason,
    message: place.message ?? '',
    details: place.details ?? {},
    position,
    checked_at: place.checkedAt.toISOString(),
  };
}

export function toAttempt(a: PipelineAttempt) {
  return {
    attempt: a.attempt,
    job_name: a.job_name,
    namespace: a.namespace,
    status: a.status,
    admitted_at: iso(a.admitted_at),
    job_created_at: iso(a.job_created_at),
    started_at: iso(a.started_at),
    finished_at: iso(a.finished_at),
    exit_code: a.exit_code,
    reason: a.reason,
    logs_captured_at: iso(a.logs_captured_at),
    logs_bytes: a.logs_bytes,
    logs_truncated: a.logs_truncated,
    job_deleted_at: iso(a.job_deleted_at),
  };
}

/**
 * The pipeline's trace: its id (null for a pipeline created without one) and, with a trace UI base
 * (TRACE_UI_URL, a Jaeger UI), the link that opens it.
 */
export function traceOf(p: Pipeline, traceUiUrl?: string): { trace_id: string | null; trace_url?: string } {
  const id = traceIdOf(p.traceparent);
  if (!id || !traceUiUrl) return { trace_id: id };
  return { trace_id: id, trace_url: `${traceUiUrl.replace(/\/+$/, '')}/trace/${id}` };
}

export function toDetail(p: Pipeline, attempts: PipelineAttempt[], traceUiUrl?: string) {
  return {
    ...toResponse(p),
    ...traceOf(p, traceUiUrl),
    template: p.template,
    template_version: p.template_version,
    namespace: p.namespace,
    max_attempts: p.max_attempts,
    attempts: attempts.map(toAttempt),
    timing: {
      created_at: p.created_at.toISOString(),
      queued_at: iso(p.queued_at),
      admitted_at: iso(p.admitted_at),
      started_at: iso(p.started_at),
      finished_at: iso(p.finished_at),
      /** From creation to the first start (null until it starts). */
      queue_seconds: seconds(p.created_at, p.started_at),
      /** From the first start to the end (null until it ends). */
      run_seconds: seconds(p.started_at, p.finished_at),
      total_seconds: seconds(p.created_at, p.finished_at),
    },
  };
}

export function toEvent(e: PipelineEvent) {
  return {
    id: Number(e.id),
    attempt: e.attempt,
    kind: e.kind,
    from: e.from_status,
    to: e.to_status,
    reason: e.reason,
    at: e.at.toISOString(),
  };
}
