import type { Attributes } from '@opentelemetry/api';

/**
 * The attribute names every span about a pipeline carries (documented in README "Tracing"): an SRE
 * finds a pipeline's spans by `po.pipeline.id`, whichever service made them.
 */
export const ATTR_PIPELINE_ID = 'po.pipeline.id';
export const ATTR_ATTEMPT = 'po.attempt';
export const ATTR_TENANT = 'po.tenant';
export const ATTR_TEMPLATE = 'po.template';

export interface PipelineFacts {
  pipelineId?: string | null | undefined;
  attempt?: number | null | undefined;
  tenant?: string | null | undefined;
  template?: string | null | undefined;
}

/** The `po.*` attributes of what is known about a pipeline (unknown facts are left out). */
export function pipelineAttributes(f: PipelineFacts): Attributes {
  const out: Attributes = {};
  if (f.pipelineId) out[ATTR_PIPELINE_ID] = f.pipelineId;
  if (typeof f.attempt === 'number' && Number.isInteger(f.attempt)) out[ATTR_ATTEMPT] = f.attempt;
  if (f.tenant) out[ATTR_TENANT] = f.tenant;
  if (f.template) out[ATTR_TEMPLATE] = f.template;
  return out;
}

const K8S_KIND_ATTR: Record<string, string> = {
  jobs: 'k8s.job.name',
  pods: 'k8s.pod.name',
  leases: 'k8s.lease.name',
};

/**
 * `k8s.*` attributes of a Kubernetes API request, from its path:
 * `/apis/batch/v1/namespaces/pipelines/jobs/pipeline-…-1` gives the namespace, the resource and the
 * Job's name. Paths that are not the API server's give nothing.
 */
export function k8sAttributes(path: string): Attributes {
  const clean = path.split('?')[0] ?? '';
  const m =
    /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)(?:\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?)?$/.exec(
      clean,
    );
  if (!m?.[1]) return {};
  const [, namespace, resource, name, sub] = m;
  const out: Attributes = { 'k8s.namespace.name': namespace };
  if (resource) out['k8s.resource'] = sub ? `${resource}/${sub}` : resource;
  const nameAttr = resource ? K8S_KIND_ATTR[resource] : undefined;
  if (name && nameAttr) out[nameAttr] = name;
  return out;
}

/** The trace id (32 hex) of a W3C traceparent, or null when it is not one. */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent ?? '');
  return m?.[1] && !/^0+$/.test(m[1]) ? m[1] : null;
}

/** HTTP semantic conventions: a server span is an error only for a 5xx answer (a 4xx is the client's). */
export function isServerError(status: number): boolean {
  return status >= 500;
}
