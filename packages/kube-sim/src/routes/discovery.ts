// Discovery documents (the legacy, non-aggregated form that kubectl and client-node fall back to).
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
  for (const sub of r.subresources) {
    const verbs = sub === 'status' ? ['get', 'patch', 'update'] : sub === 'log' ? ['get'] : ['create'];
    const kind = sub === 'log' ? 'Pod' : sub === 'eviction' ? 'Eviction' : r.kind;
    const e: Record<string, unknown> = {
      name: `${r.resource}/${sub}`,
      singularName: '',
      namespaced: r.namespaced,
      kind,
      verbs,
    };
    if (sub === 'eviction') {
      e.group = 'policy';
      e.version = 'v1';
    }
    out.push(e);
  }
  return out;
}

export function apiResourceList(group: string, version: string) {
  const gv = group ? `${group}/${version}` : version;
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version).flatMap(entries);
  if (resources.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}
