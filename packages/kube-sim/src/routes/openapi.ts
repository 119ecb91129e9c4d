// A minimal OpenAPI v3 surface: just enough for kubectl to learn that the server validates fields
// itself (the PATCH operation of each kind lists the `fieldValidation` parameter), so
// `kubectl create -f` works without --validate=false. No schemas are served.
import { apiVersionOf, RESOURCES } from '../resources.ts';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openapiV3Index() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const r of RESOURCES) {
    const p = gvPath(r.group, r.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=kube-sim-1` };
  }
  return { paths };
}

export function openapiV3Doc(path: string) {
  const resources = RESOURCES.filter((r) => gvPath(r.group, r.version) === path);
  if (resources.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const params = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
    name,
    in: 'query',
    schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
  }));
  for (const r of resources) {
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const op = (action: string) => ({
      tags: [apiVersionOf(r)],
      operationId: `${action}${r.kind}`,
      parameters: action === 'patch' ? params : [],
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    });
    const base = r.namespaced ? `/${path}/namespaces/{namespace}/${r.resource}` : `/${path}/${r.resource}`;
    paths[base] = { get: op('list'), post: { ...op('post'), parameters: params } };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-kube-sim' },
    paths,
    components: { schemas: {} },
  };
}
