// The Job controller's decision, as a pure function of the Job, its pods and what has already been
// counted: the next status, pods to create and delete, and events. Conditions follow Kubernetes
// 1.31+: SuccessCriteriaMet then Complete; FailureTarget then Failed.
import type { Condition, Job, JobStatus, Pod } from './types.ts';

export type Tracked = 'succeeded' | 'failed' | 'ignored' | 'discarded';

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ReconcileResult {
  status: JobStatus;
  /** completion indexes (Indexed) or undefined entries (NonIndexed) of pods to create */
  create: (number | undefined)[];
  delete: Pod[];
  /** pod uid -> how it was counted (newly decided this round) */
  counted: Map<string, Tracked>;
  events: JobEvent[];
  /** when to look again (deadline), epoch ms */
  requeueAt?: number;
  finished: boolean;
}

export const INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

function condTrue(conds: Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type && c.status === 'True');
}

export function podIndex(p: Pod): number | undefined {
  const v = p.metadata.annotations?.[INDEX_LABEL] ?? p.metadata.labels?.[INDEX_LABEL];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

export function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  if (!s) return out;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) continue;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

export function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < xs.length) {
    let j = i;
    while (j + 1 < xs.length && (xs[j + 1] ?? 0) === (xs[j] ?? 0) + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function exitCodeMatch(
  pod: Pod,
  rule: { containerName?: string; operator: string; values: number[] },
): { container: string; code: number } | undefined {
  // Regular containers first, then init containers, as the real controller matches them.
  const st = pod.status;
  for (const cs of [...(st?.containerStatuses ?? []), ...(st?.initContainerStatuses ?? [])]) {
    if (rule.containerName && cs.name !== rule.containerName) continue;
    const code = cs.state.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    const inSet = rule.values.includes(code);
    if (rule.operator === 'In' ? inSet : !inSet) return { container: cs.name, code };
  }
  return undefined;
}

/** Which podFailurePolicy rule a failed pod matches, with the message the Job would carry. */
export function matchPodFailurePolicy(job: Job, pod: Pod): { action: string; message: string } | undefined {
  const rules = job.spec.podFailurePolicy?.rules ?? [];
  const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (!r) continue;
    if (r.onExitCodes) {
      const m = exitCodeMatch(pod, r.onExitCodes);
      if (m) {
        return {
          action: r.action,
          message: `Container ${m.container} for pod ${ref} failed with exit code ${m.code} matching ${r.action} rule at index ${i}`,
        };
      }
    }
    for (const pc of r.onPodConditions ?? []) {
      const want = pc.status ?? 'True';
      if (pod.status?.conditions?.some((c) => c.type === pc.type && c.status === want)) {
        return {
          action: r.action,
          message: `Pod ${ref} has condition ${pc.type} matching ${r.action} rule at index ${i}`,
        };
      }
    }
  }
  return undefined;
}

function condition(type: string, reason: string, message: string, at: string): Condition {
  return { type, status: 'True', lastProbeTime: at, lastTransitionTime: at, reason, message };
}

function upsert(conds: Condition[], c: Condition): Condition[] {
  const i = conds.findIndex((x) => x.type === c.type);
  if (i < 0) return [...conds, c];
  const old = conds[i];
  if (old && old.status === c.status && old.reason === c.reason) return conds;
  return conds.map((x, j) => (j === i ? c : x));
}

export interface ReconcileInput {
  job: Job;
  pods: Pod[];
  /** pods already counted, by uid */
  tracked: ReadonlyMap<string, Tracked>;
  /** uids of pods that were active when last seen (a vanished one counts as failed) */
  lastActive: ReadonlySet<string>;
  nowMs: number;
  /**
   * Final states of pods that vanished since the last round (deleted): counted like terminal pods
   * when they ended Succeeded/Failed (so podFailurePolicy sees their conditions), as failed if not.
   */
  vanished?: ReadonlyMap<string, Pod>;
  /**
   * Replacement backoff, like the real controller: after the Nth failure since the last success,
   * no pod is created before lastFailureMs + baseMs * 2^(N-1) (capped at maxMs).
   */
  backoff?: { baseMs: number; maxMs: number; failures: number; lastFailureMs: number };
}

/** The delay before creating pods again after `failures` consecutive failures. */
export function podBackoffDelay(baseMs: number, maxMs: number, failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

/**
 * restartPolicy OnFailure: container restarts (init containers' too) of the Job's Pending/Running
 * pods count as retries;
 * the Job has failed once their sum reaches backoffLimit (any restart when it is 0), as in the
 * real controller's pastBackoffLimitOnFailure.
 */
export function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec.template.spec.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const cs of p.status.initContainerStatuses ?? []) restarts += cs.restartCount ?? 0;
    for (const cs of p.status.containerStatuses ?? []) restarts += cs.restartCount ?? 0;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

export function reconcileJob(input: ReconcileInput): ReconcileResult {
  const { job, pods, tracked, nowMs } = input;
  const at = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const spec = job.spec;
  const prev = job.status ?? {};
  let conds = [...(prev.conditions ?? [])];
  const result: ReconcileResult = {
    status: prev,
    create: [],
    delete: [],
    counted: new Map(),
    events: [],
    finished: false,
  };
  if (condTrue(conds, 'Complete') || condTrue(conds, 'Failed')) {
    result.finished = true;
    return result;
  }
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? null;
  const parallelism = spec.parallelism ?? 1;
  const backoffLimit = spec.backoffLimit ?? 6;
  const suspended = spec.suspend === true;

  let succeeded = prev.succeeded ?? 0;
  let failed = prev.failed ?? 0;
  const completed = parseIndexes(prev.completedIndexes);
  let failJob: string | undefined;

  // Count newly terminated pods exactly once (vanished ones by their final state).
  const present = new Set<string>();
  for (const p of pods) present.add(p.metadata.uid ?? '');
  const vanishedTerminal: Pod[] = [];
  for (const [uid, p] of input.vanished ?? []) {
    if (!present.has(uid) && isTerminal(p)) vanishedTerminal.push(p);
  }
  for (const p of [...pods, ...vanishedTerminal]) {
    const uid = p.metadata.uid ?? '';
    if (!isTerminal(p) || tracked.has(uid) || result.counted.has(uid)) continue;
    if (p.status?.phase === 'Succeeded') {
      const idx = podIndex(p);
      if (indexed && idx !== undefined) {
        if (!completed.has(idx) && idx < (completions ?? 0)) {
          completed.add(idx);
          succeeded++;
        }
      } else succeeded++;
      result.counted.set(uid, 'succeeded');
      continue;
    }
    const m = matchPodFailurePolicy(job, p);
    if (m?.action === 'Ignore') {
      result.counted.set(uid, 'ignored');
      continue;
    }
    failed++;
    result.counted.set(uid, 'failed');
    if (m?.action === 'FailJob' && !failJob) failJob = m.message;
  }
  // A pod that vanished while active (deleted before it finished) counts as failed.
  for (const uid of input.lastActive) {
    if (!present.has(uid) && !tracked.has(uid) && !result.counted.has(uid)) {
      failed++;
      result.counted.set(uid, 'failed');
    }
  }

  const live = pods.filter((p) => !isTerminal(p));
  const active = live.filter((p) => !p.metadata.deletionTimestamp);
  const terminating = live.filter((p) => p.metadata.deletionTimestamp);
  const ready = active.filter((p) =>
    p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );

  let startTime = prev.startTime;
  const wasSuspended = condTrue(conds, 'Suspended');
  if (!suspended && (!startTime || wasSuspended)) {
    startTime = at;
  }

  // Decide success or failure (once decided, it sticks).
  const failureTarget = condTrue(conds, 'FailureTarget');
  let successMet = !!condTrue(conds, 'SuccessCriteriaMet');
  let failReason: string | undefined = failureTarget?.reason;
  let failMessage = failureTarget?.message ?? '';
  if (!failReason && !successMet) {
    if (failJob) {
      failReason = 'PodFailurePolicy';
      failMessage = failJob;
    } else if (failed > backoffLimit || pastBackoffLimitOnFailure(job, pods)) {
      failReason = 'BackoffLimitExceeded';
      failMessage = 'Job has reached the specified backoff limit';
    } else if (
      !suspended &&
      spec.activeDeadlineSeconds !== undefined &&
      startTime &&
      nowMs >= Date.parse(startTime) + spec.activeDeadlineSeconds * 1000
    ) {
      failReason = 'DeadlineExceeded';
      failMessage = 'Job was active longer than specified deadline';
    } else if (indexed) {
      successMet = completions !== null && completed.size >= completions;
    } else if (completions !== null) {
      successMet = succeeded >= completions;
    } else {
      successMet = succeeded > 0 && active.length === 0;
    }
    if (failReason) {
      conds = upsert(conds, condition('FailureTarget', failReason, failMessage, at));
      result.events.push({ type: 'Warning', reason: failReason, message: failMessage });
    } else if (successMet) {
      conds = upsert(
        conds,
        condition(
          'SuccessCriteriaMet',
          'CompletionsReached',
          'Reached expected number of succeeded pods',
          at,
        ),
      );
    }
  }

  let completionTime = prev.completionTime;
  if (failReason || successMet) {
    result.delete = active;
    if (live.length === 0) {
      if (failReason) {
        conds = upsert(conds, condition('Failed', failReason, failMessage, at));
      } else {
        conds = upsert(
          conds,
          condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', at),
        );
        completionTime = at;
        result.events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      }
      result.finished = true;
    }
  } else if (suspended) {
    result.delete = active;
    if (!condTrue(conds, 'Suspended')) {
      conds = upsert(conds, { ...condition('Suspended', 'JobSuspended', 'Job suspended', at) });
      result.events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
  } else {
    if (wasSuspended) {
      conds = conds.map((c) =>
        c.type === 'Suspended'
          ? {
              ...c,
              status: 'False',
              reason: 'JobResumed',
              message: 'Job resumed',
              lastProbeTime: at,
              lastTransitionTime: at,
            }
          : c,
      );
      result.events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
    }
    // Replacement waits for terminating pods (podReplacementPolicy TerminatingOrFailed counts them).
    const busy = active.length + (spec.podReplacementPolicy === 'Failed' ? terminating.length : 0);
    if (indexed) {
      const running = new Set(live.map(podIndex).filter((i): i is number => i !== undefined));
      for (let i = 0; i < (completions ?? 0) && busy + result.create.length < parallelism; i++) {
        if (!completed.has(i) && !running.has(i)) result.create.push(i);
      }
    } else {
      let want = parallelism;
      if (completions !== null) want = Math.min(parallelism, completions - succeeded);
      else if (succeeded > 0) want = 0;
      for (let i = busy; i < want; i++) result.create.push(undefined);
    }
    if (spec.activeDeadlineSeconds !== undefined && startTime) {
      result.requeueAt = Date.parse(startTime) + spec.activeDeadlineSeconds * 1000;
    }
    // Failures since the last success delay new pods (10s, 20s, 40s ... like the real controller).
    const b = input.backoff;
    if (b && result.create.length > 0) {
      let failures = b.failures;
      let last = b.lastFailureMs;
      for (const how of result.counted.values()) {
        if (how === 'succeeded') failures = 0;
        else if (how === 'failed') {
          failures++;
          last = nowMs;
        }
      }
      const readyAt = last + podBackoffDelay(b.baseMs, b.maxMs, failures);
      if (failures > 0 && readyAt > nowMs) {
        result.create = [];
        result.requeueAt = Math.min(result.requeueAt ?? readyAt, readyAt);
      }
    }
  }

  const status: JobStatus = {};
  if (conds.length > 0) status.conditions = conds;
  if (startTime && !(suspended && !prev.startTime)) status.startTime = startTime;
  if (completionTime) status.completionTime = completionTime;
  const activeNow = result.finished ? 0 : active.length - result.delete.length + result.create.length;
  if (activeNow > 0) status.active = activeNow;
  if (succeeded > 0) status.succeeded = succeeded;
  if (failed > 0) status.failed = failed;
  if (indexed) status.completedIndexes = formatIndexes(completed);
  status.terminating = terminating.length + result.delete.length;
  status.ready = result.finished ? 0 : ready.filter((p) => !result.delete.includes(p)).length;
  status.uncountedTerminatedPods = {};
  result.status = status;
  return result;
}
