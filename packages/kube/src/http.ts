import type { KubeConfig } from '@kubernetes/client-node';
import { type Dispatcher, getGlobalDispatcher, request } from 'undici';
import { ApiException, RequestContext } from './client-node.ts';

export type KubeMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** The API path of a namespace's collection of Jobs, pods or Leases; with `name`, of one of them. */
export function resourcePath(kind: 'jobs' | 'pods' | 'leases', namespace: string, name?: string): string {
  const group = { jobs: '/apis/batch/v1', pods: '/api/v1', leases: '/apis/coordination.k8s.io/v1' }[kind];
  const collection = `${group}/namespaces/${encodeURIComponent(namespace)}/${kind}`;
  return name === undefined ? collection : `${collection}/${encodeURIComponent(name)}`;
}

/** A list as the API server sends it (`metadata.continue`, where client-node's models say `_continue`). */
interface KubeList<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/**
 * Every page of a list at `path` (a collection, no query), `limit` objects a page (then `continue`;
 * no limit: one page), each page handed to `onPage` before the next is asked for — so a caller can
 * slim the objects and hold one page of whole ones at a time. Stops after the page at which `stop()`
 * says so. Objects are the API server's JSON: timestamps stay strings, as in a watch. Returns the
 * resourceVersion of the snapshot the pages are cut from (every page carries it).
 */
export async function kubeListPages<T>(
  kc: KubeConfig,
  path: string,
  opts: { labelSelector: string; limit?: number },
  onPage: (items: T[]) => void,
  stop: () => boolean = () => false,
): Promise<string> {
  let cont: string | undefined;
  let page: KubeList<T>;
  do {
    const query = new URLSearchParams({ labelSelector: opts.labelSelector });
    if (opts.limit !== undefined) query.set('limit', String(opts.limit));
    if (cont) query.set('continue', cont);
    page = await kubeJson<KubeList<T>>(kc, 'GET', `${path}?${query}`);
    onPage(page.items ?? []);
    cont = page.metadata?.continue || undefined;
  } while (cont && !stop());
  return page.metadata?.resourceVersion ?? '';
}

/**
 * One JSON request to the API server without client-node's generated client: the same
 * authentication and connection pool (the kubeconfig's dispatcher; undici's diagnostics channels,
 * so `instrumentKubeRequests` sees it), but no ObjectSerializer walk of the object's type on the way
 * out and back, and undici's `request` instead of `fetch`. For the calls made once or twice per
 * pipeline (the job-runner's create and delete: a third of its CPU went to client-node and fetch).
 * A non-2xx answer throws client-node's own `ApiException` (code, the body as text, headers), so
 * `classifyKubeError`, `isNotFound` and `isAlreadyExists` read it as before.
 */
export async function kubeJson<T>(
  kc: KubeConfig,
  method: KubeMethod,
  path: string,
  body?: unknown,
): Promise<T> {
  const text = await kubeText(kc, method, path, body, 'application/json');
  return (text ? JSON.parse(text) : undefined) as T;
}

/** As kubeJson, the answer as text (a pod's log). */
export async function kubeText(
  kc: KubeConfig,
  method: KubeMethod,
  path: string,
  body?: unknown,
  accept = '*/*',
): Promise<string> {
  const target = await authenticated(kc, method, path);
  const headers: Record<string, string> = { ...target.headers, accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(target.url, {
    method,
    headers,
    dispatcher: target.dispatcher,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode > 299) {
    const resHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    throw new ApiException(res.statusCode, 'Unknown API Status Code!', text, resHeaders);
  }
  return text;
}

/**
 * Where a request to the API server goes and what it carries: the current cluster's URL for `path`,
 * the kubeconfig's authentication headers and its dispatcher (its TLS settings and connection pool;
 * the global one when the kubeconfig sets none).
 */
export async function authenticated(
  kc: KubeConfig,
  method: string,
  path: string,
): Promise<{ url: string; headers: Record<string, string>; dispatcher: Dispatcher }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No currently active cluster');
  const url = cluster.server + path;
  const ctx = new RequestContext(url, method as never);
  await kc.applySecurityAuthentication(ctx);
  return {
    url,
    headers: ctx.getHeaders(),
    dispatcher: (ctx.getDispatcher() as Dispatcher | undefined) ?? getGlobalDispatcher(),
  };
}
