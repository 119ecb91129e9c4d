import type { V1Job, V1JobSpec, V1ObjectMeta, V1Pod, V1PodSpec } from '@kubernetes/client-node';

/**
 * What an informer cache keeps of a Job or a pod when its reader needs only identity and status
 * (the watcher: mapJobStatus, disruptionOf, the planner; the log-collector: labels, annotations, container states): metadata without managedFields, the Job
 * spec's scalar fields without the pod template, no pod spec, the whole status. A Job and its pod
 * are ~15 kB of JSON from the API server and ~3 kB slimmed, so 10,000 running pipelines hold
 * tens of MB instead of hundreds (issue 14, goal 5). Pure: returns a new object, shares the kept parts.
 */
export function slimMeta(meta: V1ObjectMeta | undefined): V1ObjectMeta | undefined {
  if (!meta?.managedFields) return meta;
  const { managedFields: _, ...rest } = meta;
  return rest;
}

export function slimJob(job: V1Job): V1Job {
  const spec = job.spec;
  const out: V1Job = { ...job, metadata: slimMeta(job.metadata) };
  if (spec) {
    const { template: _, selector: __, podFailurePolicy: ___, ...scalars } = spec;
    // The template is required by the type; no reader of a slim Job looks at it.
    out.spec = scalars as V1JobSpec;
  }
  return out;
}

export function slimPod(pod: V1Pod): V1Pod {
  const out: V1Pod = { ...pod, metadata: slimMeta(pod.metadata) };
  if (pod.spec) out.spec = {} as V1PodSpec;
  return out;
}
