import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { KubeConfig } from '@kubernetes/client-node';

/** What one API request was, in RBAC's words: low-cardinality (no names, no namespaces). */
export interface KubeRequest {
  verb: string;
  /** `jobs`, `pods`, `pods/log`, `leases`, … */
  resource: string;
}

/** Where the Kubernetes client reports what it did; a service plugs in prom-client (see @po/runtime). */
export interface KubeMetrics {
  /** One API request ended: `code` is the HTTP status, or `network` when no answer came. */
  request(req: KubeRequest, code: string, seconds: number): void;
  /** An informer restarted its list-and-watch after an error or a silent watch. */
  informerRestarted(kind: string): void;
  /** An informer's watch (re)connected. */
  watchConnected(kind: string): void;
}

/**
 * The RBAC verb and resource of a request to the API server, from its method and path
 * (`/apis/batch/v1/namespaces/ns/jobs/name?…`). Undefined: not a namespaced resource request.
 */
export function kubeRequestOf(method: string, pathWithQuery: string): KubeRequest | undefined {
  const [path = '', query = ''] = pathWithQuery.split('?');
  const parts = path.split('/').filter(Boolean);
  // api/v1/… or apis/<group>/<version>/…
  const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : undefined;
  if (!rest || rest.length === 0) return undefined;
  const scoped = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  const [resource, name, sub] = scoped;
  if (!resource) return undefined;
  const full = sub ? `${resource}/${sub}` : resource;
  const m = method.toUpperCase();
  const watch = new URLSearchParams(query).get('watch');
  let verb: string;
  if (m === 'GET') verb = name ? 'get' : watch === 'true' || watch === '1' ? 'watch' : 'list';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = 'patch';
  else if (m === 'DELETE') verb = name ? 'delete' : 'deletecollection';
  else verb = m.toLowerCase();
  return { verb, resource: full };
}

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
}

/**
 * Measures every request to the API server this process makes. client-node 2.x (and Node's own
 * fetch) send through undici, which publishes each request on diagnostics channels: one subscription
 * sees the typed clients, watches and log streams alike, whoever calls them. A watch's or log
 * stream's latency is the time to its response headers. Returns the unsubscribe.
 */
export function instrumentKubeRequests(kc: KubeConfig, metrics: KubeMetrics): () => void {
  const server = kc.getCurrentCluster()?.server;
  if (!server) return () => {};
  const origin = new URL(server).origin;
  const started = new WeakMap<object, { req: KubeRequest; at: bigint }>();
  const end = (request: object, code: string) => {
    const s = started.get(request);
    if (!s) return;
    started.delete(request);
    metrics.request(s.req, code, Number(process.hrtime.bigint() - s.at) / 1e9);
  };
  const onCreate = (msg: unknown) => {
    const request = (msg as { request: UndiciRequest }).request;
    if (!request?.origin || new URL(String(request.origin)).origin !== origin) return;
    const req = kubeRequestOf(request.method ?? 'GET', request.path ?? '/');
    if (req) started.set(request, { req, at: process.hrtime.bigint() });
  };
  const onHeaders = (msg: unknown) => {
    const { request, response } = msg as { request: object; response: { statusCode: number } };
    end(request, String(response.statusCode));
  };
  const onError = (msg: unknown) => end((msg as { request: object }).request, 'network');
  subscribe('undici:request:create', onCreate);
  subscribe('undici:request:headers', onHeaders);
  subscribe('undici:request:error', onError);
  return () => {
    unsubscribe('undici:request:create', onCreate);
    unsubscribe('undici:request:headers', onHeaders);
    unsubscribe('undici:request:error', onError);
  };
}

/** A failing API server, as opposed to an answer the caller expects (404 on a gone Job, 409 on a repeat create). */
export function isKubeFailure(code: string): boolean {
  return code === 'network' || code === '429' || code.startsWith('5');
}
