// Discovery documents: the legacy form (APIVersions, APIGroupList, APIResourceList) and the
// aggregated one (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that kubectl asks for first.
import { parseAccept } from '../media.ts';
import { RESOURCES, type ResourceInfo } from '../resources.ts';

export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kube-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(host: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }],
  };
}

const BATCH_GROUP = {
  name: 'batch',
  versions: [{ groupVersion: 'batch/v1', version: 'v1' }],
  preferredVersion: { groupVersion: 'batch/v1', version: 'v1' },
};

const COORDINATION_GROUP = {
  name: 'coordination.k8s.io',
  versions: [{ groupVersion: 'coordination.k8s.io/v1', version: 'v1' }],
  preferredVersion: { groupVersion: 'coordination.k8s.io/v1', version: 'v1' },
};

const GROUPS = [BATCH_GROUP, COORDINATION_GROUP];

export function apiGroupList() {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS };
}

export function apiGroup(name: string) {
  const group = GROUPS.find((g) => g.name === name);
  return group ? { kind: 'APIGroup', apiVersion: 'v1', ...group } : undefined;
}

interface SubInfo {
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

function subInfo(r: ResourceInfo, sub: string): SubInfo {
  switch (sub) {
    case 'status':
      return { kind: r.kind, verbs: ['get', 'patch', 'update'] };
    case 'log':
      return { kind: 'Pod', verbs: ['get'] };
    case 'eviction':
      return { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' };
    case 'exec':
      return { kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach':
      return { kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward':
      return { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    default:
      return { kind: r.kind, verbs: [] };
  }
}

function entries(r: ResourceInfo) {
  const out: Record<string, unknown>[] = [];
  const main: Record<string, unknown> = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
  };
  if (r.shortNames) main.shortNames = r.shortNames;
  if (r.categories) main.categories = r.categories;
  out.push(main);
  for (const sub of [...r.subresources].sort()) {
    const si = subInfo(r, sub);
    const e: Record<string, unknown> = {
      name: `${r.resource}/${sub}`,
      singularName: '',
      namespaced: r.namespaced,
      kind: si.kind,
      verbs: si.verbs,
    };
    if (si.group) {
      e.group = si.group;
      e.version = si.version;
    }
    out.push(e);
  }
  return out;
}

/** A group/version the server serves (anything else is outside the API: a plain-text 404). */
export function knownGroupVersion(group: string, version: string): boolean {
  return RESOURCES.some((r) => r.group === group && r.version === version);
}

export const AGGREGATED_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the Accept header asks for aggregated discovery (v2) before the legacy documents. */
export function wantsAggregated(accept: string | undefined): boolean {
  for (const r of parseAccept(accept)) {
    if (r.params.as === undefined) return false;
    if (
      r.params.as === 'APIGroupDiscoveryList' &&
      r.params.g === 'apidiscovery.k8s.io' &&
      r.params.v === 'v2'
    )
      return true;
  }
  return false;
}

function aggregatedResource(r: ResourceInfo) {
  const out: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames) out.shortNames = r.shortNames;
  if (r.categories) out.categories = r.categories;
  if (r.subresources.length > 0) {
    out.subresources = [...r.subresources].sort().map((sub) => {
      const si = subInfo(r, sub);
      return {
        subresource: sub,
        responseKind: { group: si.group ?? r.group, version: si.version ?? r.version, kind: si.kind },
        verbs: si.verbs,
      };
    });
  }
  return out;
}

/** The aggregated discovery document of /api (the core group) or /apis (every named group). */
export function aggregatedDiscovery(root: 'api' | 'apis') {
  const groups = root === 'api' ? [''] : [...new Set(RESOURCES.map((r) => r.group).filter((g) => g !== ''))];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g, creationTimestamp: null },
      versions: [...new Set(RESOURCES.filter((r) => r.group === g).map((r) => r.version))].map((v) => ({
        version: v,
        resources: RESOURCES.filter((r) => r.group === g && r.version === v).map(aggregatedResource),
        freshness: 'Current',
      })),
    })),
  };
}

export function apiResourceList(group: string, version: string) {
  const gv = group ? `${group}/${version}` : version;
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version).flatMap(entries);
  if (resources.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}
