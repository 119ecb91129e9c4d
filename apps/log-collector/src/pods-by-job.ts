import type { V1Pod } from '@kubernetes/client-node';
import type { PipelineStatus } from '@po/contracts';

const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

/**
 * The pod informer's cache indexed by Job: what the capture lists instead of asking the API server.
 * Fed by the informer's handlers (a relist replays every pod as a change).
 */
export class PodsByJob {
  readonly #byJob = new Map<string, Map<string, V1Pod>>();

  changed(pod: V1Pod): void {
    const job = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const name = pod.metadata?.name;
    if (!job || !name) return;
    let pods = this.#byJob.get(job);
    if (!pods) {
      pods = new Map();
      this.#byJob.set(job, pods);
    }
    pods.set(name, pod);
  }

  deleted(pod: V1Pod): void {
    const job = pod.metadata?.labels?.[JOB_NAME_LABEL];
    const pods = job ? this.#byJob.get(job) : undefined;
    if (!job || !pods) return;
    pods.delete(pod.metadata?.name ?? '');
    if (pods.size === 0) this.#byJob.delete(job);
  }

  of(jobName: string): V1Pod[] {
    return [...(this.#byJob.get(jobName)?.values() ?? [])];
  }
}

/**
 * The pods of a finished attempt's Job from the informer's cache, when the cache is sure to hold
 * every pod the API server would list; undefined: ask the API server. That is so when the attempt
 * Succeeded and the cache has its pod that succeeded: the watch delivers changes in order, so every
 * pod created before that one (a failed try of a Job with retries) was delivered before it, and a
 * finished Job creates no more. Other outcomes (a failed try whose successor the cache may not have
 * seen yet, pods removed at a deadline or a cancel) and an informer not yet synced ask the API.
 */
export function podsFromCache(
  cached: readonly V1Pod[],
  status: PipelineStatus,
  synced: boolean,
): V1Pod[] | undefined {
  if (!synced || status !== 'Succeeded') return undefined;
  return cached.some((p) => p.status?.phase === 'Succeeded') ? [...cached] : undefined;
}
