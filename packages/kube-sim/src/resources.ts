// The resources the sim serves, with what discovery and the generic handlers need to know.
export interface ResourceInfo {
  resource: string;
  group: string;
  version: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  fieldSelectors: readonly string[];
  subresources: string[];
  /** False when a PUT must carry metadata.resourceVersion (the strategy's AllowUnconditionalUpdate). */
  unconditionalUpdate?: false;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const JOBS: ResourceInfo = {
  resource: 'jobs',
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  verbs: ALL_VERBS,
  fieldSelectors: ['metadata.name', 'metadata.namespace', 'status.successful'],
  subresources: ['status'],
};

export const PODS: ResourceInfo = {
  resource: 'pods',
  group: '',
  version: 'v1',
  kind: 'Pod',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  verbs: ALL_VERBS,
  fieldSelectors: [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  subresources: ['status', 'log', 'eviction', 'exec', 'attach', 'portforward'],
};

export const CRONJOBS: ResourceInfo = {
  resource: 'cronjobs',
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  verbs: ALL_VERBS,
  fieldSelectors: ['metadata.name', 'metadata.namespace'],
  subresources: ['status'],
};

export const EVENTS: ResourceInfo = {
  resource: 'events',
  group: '',
  version: 'v1',
  kind: 'Event',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  verbs: ALL_VERBS,
  fieldSelectors: [
    'metadata.name',
    'metadata.namespace',
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  subresources: [],
};

export const NAMESPACES: ResourceInfo = {
  resource: 'namespaces',
  group: '',
  version: 'v1',
  kind: 'Namespace',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  fieldSelectors: ['metadata.name', 'status.phase'],
  subresources: ['status'],
};

export const LEASES: ResourceInfo = {
  resource: 'leases',
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  singular: 'lease',
  namespaced: true,
  verbs: ALL_VERBS,
  fieldSelectors: ['metadata.name', 'metadata.namespace'],
  subresources: [],
  unconditionalUpdate: false,
};

export const RESOURCES: readonly ResourceInfo[] = [JOBS, CRONJOBS, PODS, EVENTS, NAMESPACES, LEASES];

export function apiVersionOf(r: ResourceInfo): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}
