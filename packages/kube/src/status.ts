import type {
  V1ContainerStateTerminated,
  V1ContainerStateWaiting,
  V1Job,
  V1Pod,
} from '@kubernetes/client-node';
import { CONTAINER_NAME, type PipelineStatus } from '@po/contracts';

export interface JobOutcome {
  status: PipelineStatus;
  /** Why, in words an operator can act on; null when there is nothing to add. */
  reason: string | null;
  exitCode: number | null;
  /** Set when the platform, not the workload, ended the attempt (eviction, preemption, disruption): worth retrying. */
  retryable?: true;
}

/** Pod-level signs that the node or cluster ended the pod, whatever its exit code. */
const DISRUPTION_REASONS = new Set([
  'Evicted',
  'Preempting',
  'Shutdown',
  'Terminated',
  'NodeLost',
  'UnexpectedAdmissionError',
]);

function disrupted(pod: V1Pod): boolean {
  if (pod.status?.reason && DISRUPTION_REASONS.has(pod.status.reason)) return true;
  return (pod.status?.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.status === 'True');
}

/**
 * Why the cluster ended (or is ending) this pod, when it did: its DisruptionTarget condition
 * (eviction, preemption, taint manager, pod GC, kubelet) or a node-level reason; null otherwise.
 */
export function disruptionOf(pod: V1Pod): string | null {
  const c = (pod.status?.conditions ?? []).find((x) => x.type === 'DisruptionTarget' && x.status === 'True');
  if (c) return `${c.reason ?? 'DisruptionTarget'}${c.message ? `: ${c.message}` : ''}`;
  const r = pod.status?.reason;
  if (r && DISRUPTION_REASONS.has(r)) return `${r}${pod.status?.message ? `: ${pod.status.message}` : ''}`;
  return null;
}

function trueCondition(job: V1Job, ...types: string[]) {
  return job.status?.conditions?.find((c) => types.includes(c.type) && c.status === 'True');
}

function containerStatus(pod: V1Pod) {
  const all = pod.status?.containerStatuses ?? [];
  return all.find((c) => c.name === CONTAINER_NAME) ?? all[0];
}

function terminatedOf(pod: V1Pod): V1ContainerStateTerminated | undefined {
  const cs = containerStatus(pod);
  return cs?.state?.terminated ?? cs?.lastState?.terminated;
}

function waitingOf(pod: V1Pod): V1ContainerStateWaiting | undefined {
  return containerStatus(pod)?.state?.waiting;
}

function timeOf(d: Date | string | undefined): number {
  if (d === undefined) return 0;
  const t = d instanceof Date ? d.getTime() : Date.parse(d);
  return Number.isNaN(t) ? 0 : t;
}

/** The most recent pod that failed, judged by when its container finished (else when it was created). */
function newestFailedPod(pods: V1Pod[]): { pod: V1Pod; term: V1ContainerStateTerminated | undefined } | null {
  const failed = pods
    .map((pod) => ({ pod, term: terminatedOf(pod) }))
    .filter(({ pod, term }) => pod.status?.phase === 'Failed' || (term !== undefined && term.exitCode !== 0));
  failed.sort(
    (a, b) =>
      timeOf(b.term?.finishedAt ?? b.pod.metadata?.creationTimestamp) -
      timeOf(a.term?.finishedAt ?? a.pod.metadata?.creationTimestamp),
  );
  return failed[0] ?? null;
}

const NOT_FOUND = /executable file not found|no such file or directory|not found in \$PATH|ENOENT/i;

function podDetail(pods: V1Pod[]): { text: string | null; exitCode: number | null; disrupted?: boolean } {
  const f = newestFailedPod(pods);
  if (f === null) return { text: null, exitCode: null };
  if (disrupted(f.pod)) {
    const why = f.pod.status?.reason ?? 'DisruptionTarget';
    const msg = f.pod.status?.message;
    return {
      text: `pod ${why}${msg ? `: ${msg}` : ''}`,
      exitCode: f.term?.exitCode ?? null,
      disrupted: true,
    };
  }
  const { pod, term } = f;
  if (term === undefined) {
    const why = pod.status?.reason ?? waitingOf(pod)?.reason;
    const msg = pod.status?.message ?? waitingOf(pod)?.message;
    return { text: why ? `pod ${why}${msg ? `: ${msg}` : ''}` : null, exitCode: null };
  }
  if (term.reason === 'StartError' || term.reason === 'ContainerCannotRun') {
    const msg = term.message ?? '';
    const what = NOT_FOUND.test(msg) ? 'executable not found' : msg || 'container could not start';
    return { text: `${term.reason}: ${what}`, exitCode: term.exitCode };
  }
  if (term.reason === 'OOMKilled') {
    return { text: `container was OOMKilled (exit code ${term.exitCode})`, exitCode: term.exitCode };
  }
  const signal = term.signal ? ` (signal ${term.signal})` : '';
  const said = lastLine(term.message);
  if (said !== null) return { text: `exit code ${term.exitCode}${signal}: ${said}`, exitCode: term.exitCode };
  return { text: `container exited with code ${term.exitCode}${signal}`, exitCode: term.exitCode };
}

/** A reason carries one line of what the workload said last; longer ones are cut. */
export const REASON_LINE_MAX_CHARS = 300;

/**
 * The last non-blank line of a terminated container's message (with FallbackToLogsOnError, the
 * kubelet's copy of the log's tail): what a person reads first to know why it failed.
 */
export function lastLine(message: string | undefined): string | null {
  if (!message) return null;
  const lines = message.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = (lines[i] ?? '').replace(/\s+/g, ' ').trim();
    if (l !== '') return l.length > REASON_LINE_MAX_CHARS ? `${l.slice(0, REASON_LINE_MAX_CHARS - 1)}…` : l;
  }
  return null;
}

/**
 * What a Job (and its pods, when known) means for its pipeline. Terminal as soon as Kubernetes decides
 * (FailureTarget / SuccessCriteriaMet come before Failed / Complete). Returns null for a Job that is
 * being deleted: that is our own cleanup or a cancel, and must not change the pipeline.
 */
export function mapJobStatus(job: V1Job, pods?: V1Pod[]): JobOutcome | null {
  if (job.metadata?.deletionTimestamp) return null;
  const podList = pods ?? [];

  if (trueCondition(job, 'Complete', 'SuccessCriteriaMet')) {
    return { status: 'Succeeded', reason: null, exitCode: 0 };
  }

  const failed = trueCondition(job, 'Failed', 'FailureTarget');
  if (failed) {
    const condReason = failed.reason ?? 'Failed';
    const detail = podDetail(podList);
    if (condReason === 'DeadlineExceeded') {
      const msg = failed.message ?? 'Job was active longer than specified deadline';
      return { status: 'Timeout', reason: `DeadlineExceeded: ${msg}`, exitCode: detail.exitCode };
    }
    if (detail.text?.startsWith('StartError') || detail.text?.startsWith('ContainerCannotRun')) {
      return { status: 'Failed', reason: detail.text, exitCode: detail.exitCode };
    }
    const why = detail.text ?? failed.message ?? null;
    return {
      status: 'Failed',
      reason: why ? `${condReason}: ${why}` : condReason,
      exitCode: detail.exitCode,
      ...(detail.disrupted ? { retryable: true as const } : {}),
    };
  }

  if (job.spec?.suspend) return { status: 'Queued', reason: 'Suspended', exitCode: null };

  const running = podList.some((p) => p.status?.phase === 'Running');
  const ready = (job.status?.ready ?? 0) > 0;
  // Without pods, `active` (pending or running pods) is the best we know; with pods, trust them.
  const active = pods === undefined || pods.length === 0 ? (job.status?.active ?? 0) > 0 : false;
  const finishedSome = podList.some((p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed');
  // A pod that already finished while the Job is not terminal: between retries or completions, so started.
  if (running || ready || active || finishedSome) return { status: 'Running', reason: null, exitCode: null };

  const waiting = podList.map(waitingOf).find((w) => w?.reason !== undefined);
  const reason = waiting?.reason ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` : null;
  return { status: 'Queued', reason, exitCode: null };
}
