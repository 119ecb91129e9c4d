/** Names, labels and annotations shared by everything that touches the product's Kubernetes objects. */

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'pipeline-operator';
export const LABEL_PIPELINE_ID = 'pipeline-operator.io/pipeline-id';
export const LABEL_ATTEMPT = 'pipeline-operator.io/attempt';
export const LABEL_TEMPLATE = 'pipeline-operator.io/template';
export const ANNOTATION_TRACEPARENT = 'pipeline-operator.io/traceparent';
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
export const CONTAINER_NAME = 'pipeline';
/**
 * The pipeline id of a job.delete for a managed Job that names no pipeline attempt (the managed-by
 * label alone): the nil UUID, with attempt 0 and the Job's name in `data.jobName`.
 */
export const NO_PIPELINE_ID = '00000000-0000-0000-0000-000000000000';

/** Deterministic, so a re-delivered create is an AlreadyExists and never a second Job. */
export function jobNameFor(pipelineId: string, attempt: number): string {
  return `pipeline-${pipelineId}-${attempt}`;
}
