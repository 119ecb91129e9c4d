// The HTTP front: routing, request bodies, fault injection, errors as Status objects.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Cluster, type DeleteOptions, JOB_DELETE_WARNING, matches, writerFor } from './cluster.ts';
import type { Faults } from './faults.ts';
import { toJson } from './json.ts';
import type { LogStore } from './logs.ts';
import {
  baseType,
  decodeObjectBody,
  negotiateOutput,
  type OutputFormat,
  PATCH_TYPES,
  PROTOBUF_TYPE,
  parseJsonBody,
  parseYamlBody,
  toYaml,
  unsupportedMediaType,
} from './media.ts';
import { decodeProtobufObject } from './protobuf.ts';
import {
  assertOptions,
  boolParam,
  deleteOptionsCauses,
  intParam,
  type ListQuery,
  listQuery,
  patchOptions,
  writeOptions,
} from './query.ts';
import { countRequest, requestKind } from './request-count.ts';
import { apiVersionOf, findResource, PODS, type ResourceInfo } from './resources.ts';
import {
  AGGREGATED_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  knownGroupVersion,
  VERSION,
  wantsAggregated,
} from './routes/discovery.ts';
import { serveLogs } from './routes/logs.ts';
import { openapiV3Doc, openapiV3Index } from './routes/openapi.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError, badRequest, gone, methodNotAllowed, pathNotFound, successStatus } from './status.ts';
import { toTable, wantsTable } from './table.ts';
import type { KubeObject, Pod } from './types.ts';
import { isRecord, now } from './types.ts';
import { waitForResourceVersion } from './wait-rv.ts';
import { type ActiveWatch, serveWatch } from './watch.ts';

export interface ServerContext {
  cluster: Cluster;
  logs: LogStore;
  faults: Faults;
  watches: Set<ActiveWatch>;
  bookmarkIntervalMs: number;
  /** Every request received, faulted ones included, by kind (`requestKind`). */
  requests: Map<string, number>;
}

const MAX_BODY = 3 * 1024 * 1024;

/** The response format of a request, decided once from its Accept header. */
const formats = new WeakMap<IncomingMessage, OutputFormat>();

function formatOf(res: ServerResponse): OutputFormat {
  return (res.req && formats.get(res.req)) ?? 'json';
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) {
  const yaml = formatOf(res) === 'yaml';
  const text = yaml ? toYaml(body) : toJson(body);
  res.writeHead(code, {
    'Content-Type': yaml ? 'application/yaml' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Send a stored object: the JSON cached for its version when it is the current one. */
function sendObject(
  ctx: ServerContext,
  res: ServerResponse,
  code: number,
  info: ResourceInfo,
  o: KubeObject,
  headers: Record<string, string> = {},
) {
  if (formatOf(res) !== 'json') return send(res, code, o, headers);
  const store = ctx.cluster.store;
  const e = store.entry(info.resource, o.metadata.namespace, o.metadata.name ?? '');
  sendBody(res, code, e && e.obj === o ? store.bodyOf(e) : toJson(o), headers);
}

function sendBody(
  res: ServerResponse,
  code: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  if (formatOf(res) !== 'json') {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    return send(res, code, JSON.parse(text), headers);
  }
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

const LIST_CHUNK = 64 * 1024;

/** Copy strings and Buffers into one Buffer. */
function joinBytes(parts: (string | Buffer)[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const p of parts) off += typeof p === 'string' ? out.write(p, off) : p.copy(out, off);
  return out.subarray(0, off);
}

/**
 * A list as JSON, from the items' cached JSON: no parse, no re-serialization. Large lists are
 * streamed in chunks (like the real server) instead of being built as one string.
 */
async function sendList(res: ServerResponse, head: string, items: (string | Buffer)[]) {
  if (formatOf(res) !== 'json') {
    const text = `${head}${items.map((b) => (typeof b === 'string' ? b : b.toString('utf8'))).join(',')}]}`;
    return send(res, 200, JSON.parse(text));
  }
  let parts: (string | Buffer)[] = [head];
  let size = Buffer.byteLength(head);
  let streaming = false;
  for (let i = 0; i < items.length; i++) {
    const j = items[i] ?? '';
    if (i > 0) parts.push(',');
    parts.push(j);
    size += Buffer.byteLength(j) + 1;
    if (size >= LIST_CHUNK) {
      if (!streaming) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        streaming = true;
      }
      const ok = res.write(joinBytes(parts, size));
      parts = [];
      size = 0;
      if (!ok && !res.destroyed) await new Promise((r) => res.once('drain', r));
      if (res.destroyed) return;
    }
  }
  parts.push(']}');
  const tail = joinBytes(parts, size + 2);
  if (streaming) res.end(tail);
  else sendBody(res, 200, tail);
}

function sendError(res: ServerResponse, e: ApiError) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, e.code, e.toStatus(), e.headers);
}

async function readBody(req: IncomingMessage, binary = false): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > MAX_BODY)
      throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString(binary ? 'latin1' : 'utf8');
}

function isProtobuf(req: IncomingMessage): boolean {
  return baseType(req.headers['content-type']) === PROTOBUF_TYPE;
}

/**
 * An object body in its Content-Type: JSON, YAML, or (typed clients such as `kubectl create
 * namespace`) protobuf, which kube-sim decodes for namespaces only (metadata).
 */
async function readObject(req: IncomingMessage, info: ResourceInfo): Promise<unknown> {
  const protobuf = isProtobuf(req);
  const text = await readBody(req, protobuf);
  if (protobuf) {
    if (info.resource !== 'namespaces') throw unsupportedMediaType(['application/json', 'application/yaml']);
    return decodeProtobufObject(Buffer.from(text, 'latin1'));
  }
  return decodeObjectBody(req.headers['content-type'], text);
}

interface Target {
  info: ResourceInfo;
  ns: string | undefined;
  name: string | undefined;
  sub: string | undefined;
  /** the legacy /watch/ path prefix was used */
  watchPath: boolean;
}

type Resolved =
  | { target: Target }
  | { doc: unknown; discovery?: 'api' | 'apis' }
  /** a known group/version without that resource: the API's own JSON 404 */
  | { missing: true };

/** Map /api/v1/... and /apis/{group}/{version}/... to a resource target, or a discovery doc. */
function resolve(segs: string[]): Resolved | undefined {
  let group = '';
  let version: string | undefined;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { doc: 'api', discovery: 'api' };
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { doc: apiGroupList(), discovery: 'apis' };
    group = segs[1] ?? '';
    if (segs.length === 2) {
      const g = apiGroup(group);
      return g ? { doc: g } : undefined;
    }
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  if (!version || !knownGroupVersion(group, version)) return undefined;
  if (rest.length === 0) {
    const doc = apiResourceList(group, version);
    return doc ? { doc } : undefined;
  }
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let ns: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const info = findResource(group, version, rest[0] ?? '');
  if (!info) return { missing: true };
  if (ns !== undefined && !info.namespaced) return { missing: true };
  if (rest.length > 3) return { missing: true };
  const sub = rest[2];
  if (sub !== undefined && (watchPath || !info.subresources.includes(sub))) return { missing: true };
  return { target: { info, ns, name: rest[1], sub, watchPath } };
}

function deleteOptions(body: string, q: URLSearchParams, contentType: string | undefined): DeleteOptions {
  const opts: DeleteOptions = {};
  // Like the real server: a non-empty body is the DeleteOptions, and query parameters are ignored.
  if (body.trim() !== '') {
    const b = decodeObjectBody(contentType, body);
    if (isRecord(b)) {
      const dryRun = Array.isArray(b.dryRun) ? b.dryRun.map(String) : [];
      assertOptions(
        'DeleteOptions',
        deleteOptionsCauses({
          propagationPolicy: b.propagationPolicy ?? undefined,
          orphanDependents: b.orphanDependents ?? undefined,
          dryRun,
        }),
      );
      if (typeof b.propagationPolicy === 'string') opts.propagationPolicy = b.propagationPolicy;
      else if (b.orphanDependents === true) opts.propagationPolicy = 'Orphan';
      else if (b.orphanDependents === false) {
        opts.propagationPolicy = 'Background';
        opts.orphanDependentsFalse = true;
      }
      if (typeof b.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = b.gracePeriodSeconds;
      if (isRecord(b.preconditions)) {
        const pre: NonNullable<DeleteOptions['preconditions']> = {};
        if (typeof b.preconditions.uid === 'string') pre.uid = b.preconditions.uid;
        if (typeof b.preconditions.resourceVersion === 'string')
          pre.resourceVersion = b.preconditions.resourceVersion;
        opts.preconditions = pre;
      }
      if (dryRun.includes('All')) opts.dryRun = true;
    }
    return opts;
  }
  const pp = q.get('propagationPolicy') ?? undefined;
  const orphan = boolParam(q, 'orphanDependents');
  const dryRun = q.getAll('dryRun');
  assertOptions(
    'DeleteOptions',
    deleteOptionsCauses({ propagationPolicy: pp, orphanDependents: orphan, dryRun }),
  );
  if (pp) opts.propagationPolicy = pp;
  else if (orphan === true) opts.propagationPolicy = 'Orphan';
  else if (orphan === false) {
    opts.propagationPolicy = 'Background';
    opts.orphanDependentsFalse = true;
  }
  const g = intParam(q, 'gracePeriodSeconds');
  if (g !== undefined) opts.gracePeriodSeconds = g;
  if (dryRun.includes('All')) opts.dryRun = true;
  return opts;
}

function listHead(info: ResourceInfo, rv: string, cont?: string, remaining?: number): string {
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  if (cont) {
    metadata.continue = cont;
    if (remaining !== undefined) metadata.remainingItemCount = remaining;
  }
  return `{"kind":"${info.kind}List","apiVersion":"${apiVersionOf(info)}","metadata":${toJson(metadata)},"items":[`;
}

/** A resourceVersion given to a list or get (not "" or "0") must be one the server has seen. */
async function requireSeen(ctx: ServerContext, rv: string | undefined) {
  if (rv === undefined || rv === '' || rv === '0') return;
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`invalid resource version "${rv}"`);
  await waitForResourceVersion(ctx.cluster.store, n);
}

async function listResource(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  t: Target,
  q: URLSearchParams,
  lq: ListQuery,
) {
  const { cluster } = ctx;
  const { info, ns } = t;
  const labelSelector = parseLabelSelector(q.get('labelSelector'));
  const fieldSelector = parseFieldSelector(q.get('fieldSelector'), info.fieldSelectors);
  const filtered = labelSelector.length > 0 || fieldSelector.length > 0;
  const rv = lq.resourceVersion;
  await requireSeen(ctx, rv);
  const table = wantsTable(req.headers.accept);
  if (lq.resourceVersionMatch === 'Exact') {
    // The list as it was at that resourceVersion (rebuilt from the history), or 410.
    const at = cluster.store.stateAt(info.resource, Number(rv));
    if (at === 'gone') throw gone('The resourceVersion for the provided list is too old.');
    const items = at
      .filter(
        (o) => (ns === undefined || o.metadata.namespace === ns) && matches(o, labelSelector, fieldSelector),
      )
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    if (table) return send(res, 200, toTable(info, items, rv ?? ''));
    await sendList(
      res,
      listHead(info, rv ?? ''),
      items.map((o) => toJson(o)),
    );
    return;
  }
  const opts: Parameters<Cluster['list']>[2] = { labelSelector, fieldSelector };
  // resourceVersion=0 is served from the watch cache, which ignores limit.
  const limit = rv === '0' ? undefined : intParam(q, 'limit');
  if (limit !== undefined) opts.limit = limit;
  const cont = q.get('continue');
  if (cont) opts.continue = cont;
  const r = cluster.list(info, ns, opts);
  const store = cluster.store;
  if (table) {
    const items = r.entries.map((e) => store.peek(e));
    send(res, 200, toTable(info, items, r.resourceVersion, r.continue));
    return;
  }
  // Take every item's JSON now (a consistent snapshot), then stream.
  await sendList(
    res,
    listHead(info, r.resourceVersion, r.continue, filtered ? undefined : r.remainingItemCount),
    r.entries.map((e) => store.bodyOf(e)),
  );
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}

function startWatch(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  t: Target,
  q: URLSearchParams,
  lq: ListQuery,
) {
  const { info, ns, name } = t;
  // Watch bodies are JSON only (YAML has no stream framing).
  negotiateOutput(req.headers.accept, true);
  const labelSelector = parseLabelSelector(q.get('labelSelector'));
  let fieldSelector = parseFieldSelector(q.get('fieldSelector'), info.fieldSelectors);
  // The legacy /watch/…/{name} path watches one object.
  if (name !== undefined)
    fieldSelector = [...fieldSelector, ...parseFieldSelector(`metadata.name=${name}`, info.fieldSelectors)];
  serveWatch(
    ctx.cluster.store,
    req,
    res,
    {
      info,
      ns,
      labelSelector,
      fieldSelector,
      resourceVersion: lq.resourceVersion,
      timeoutSeconds: intParam(q, 'timeoutSeconds'),
      allowBookmarks: boolParam(q, 'allowWatchBookmarks') === true,
      sendInitialEvents: lq.sendInitialEvents,
      cut: ctx.faults.watchCut(req.url ?? ''),
      bookmarkIntervalMs: ctx.bookmarkIntervalMs,
    },
    ctx.watches,
  );
}

async function handleResource(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  t: Target,
  q: URLSearchParams,
) {
  const { cluster } = ctx;
  const { info, ns, name, sub } = t;
  const method = req.method ?? 'GET';
  const table = wantsTable(req.headers.accept);
  const writer = () => writerFor(q.get('fieldManager'), req.headers['user-agent']);
  if (t.watchPath) {
    if (method !== 'GET') throw methodNotAllowed();
    const lq = listQuery(q);
    startWatch(ctx, req, res, t, q, { ...lq, watch: true });
    return;
  }
  if (name === undefined) {
    if (method === 'GET') {
      const lq = listQuery(q);
      if (lq.watch) return startWatch(ctx, req, res, t, q, lq);
      return listResource(ctx, req, res, t, q, lq);
    }
    if (method === 'POST') {
      const dryRun = writeOptions('CreateOptions', q);
      const body = await readObject(req, info);
      const created = cluster.create(info, ns, body, dryRun, writer());
      sendObject(ctx, res, 201, info, created);
      return;
    }
    if (method === 'DELETE' && info.verbs.includes('deletecollection')) {
      const body = await readBody(req);
      const opts = deleteOptions(body, q, req.headers['content-type']);
      const labelSelector = parseLabelSelector(q.get('labelSelector'));
      const fieldSelector = parseFieldSelector(q.get('fieldSelector'), info.fieldSelectors);
      const r = cluster.list(info, ns, { labelSelector, fieldSelector });
      const items: KubeObject[] = [];
      for (const e of r.entries) {
        const o = cluster.store.peek(e);
        try {
          items.push(cluster.delete(info, o.metadata.namespace, o.metadata.name ?? '', opts).object);
        } catch {
          // deleted meanwhile
        }
      }
      send(
        res,
        200,
        {
          kind: `${info.kind}List`,
          apiVersion: apiVersionOf(info),
          metadata: { resourceVersion: String(cluster.store.resourceVersion) },
          items,
        },
        deleteWarning(info, opts),
      );
      return;
    }
    throw methodNotAllowed();
  }

  if (sub === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    serveLogs(cluster.store, ctx.logs, ns ?? '', name, q, res);
    return;
  }
  if (sub === 'exec' || sub === 'attach' || sub === 'portforward') {
    if (method !== 'GET' && method !== 'POST') throw methodNotAllowed();
    await readBody(req);
    cluster.get(PODS, ns, name);
    // The real server answers a request it cannot upgrade so; kube-sim never upgrades.
    throw badRequest('Upgrade request required');
  }
  if (sub === 'eviction') {
    if (method !== 'POST') throw methodNotAllowed();
    await readBody(req);
    const pod = cluster.get(PODS, ns, name) as Pod;
    // Eviction marks the pod with DisruptionTarget (what podFailurePolicy onPodConditions sees).
    const next: Pod = { ...pod, metadata: { ...pod.metadata } };
    const st = { ...(next.status ?? {}) };
    st.conditions = [
      ...(st.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
        lastProbeTime: null,
        lastTransitionTime: now(),
      },
    ];
    next.status = st;
    cluster.store.update('pods', next);
    cluster.delete(PODS, ns, name, {});
    send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    return;
  }
  switch (method) {
    case 'GET': {
      const rv = q.get('resourceVersion') ?? undefined;
      await requireSeen(ctx, rv);
      const e = cluster.getEntry(info, ns, name);
      if (table) {
        const o = cluster.store.peek(e);
        send(res, 200, toTable(info, [o], o.metadata.resourceVersion ?? ''));
        return;
      }
      sendBody(res, 200, cluster.store.bodyOf(e));
      return;
    }
    case 'PUT': {
      const dryRun = writeOptions('UpdateOptions', q);
      const body = await readObject(req, info);
      const o = cluster.replace(info, ns, name, body, sub, dryRun, writer());
      sendObject(ctx, res, 200, info, o);
      return;
    }
    case 'PATCH': {
      const type = baseType(req.headers['content-type']);
      if (!PATCH_TYPES.includes(type)) {
        await readBody(req);
        throw unsupportedMediaType(PATCH_TYPES);
      }
      const isApply = type === 'application/apply-patch+yaml';
      const po = patchOptions(q, isApply);
      const text = await readBody(req);
      if (isApply) {
        const body = parseYamlBody(text);
        const r = cluster.apply(info, ns, name, body, {
          manager: po.fieldManager ?? '',
          force: po.force,
          dryRun: po.dryRun,
          subresource: sub,
        });
        sendObject(ctx, res, r.created ? 201 : 200, info, r.object);
        return;
      }
      const body = parseJsonBody(text);
      const w = writerFor(po.fieldManager, req.headers['user-agent']);
      const o = cluster.patch(info, ns, name, type, body, sub, po.dryRun, w);
      sendObject(ctx, res, 200, info, o);
      return;
    }
    case 'DELETE': {
      if (sub) throw methodNotAllowed();
      // Options are validated before the object is looked up.
      const opts = deleteOptions(await readBody(req), q, req.headers['content-type']);
      const r = cluster.delete(info, ns, name, opts);
      const headers = deleteWarning(info, opts);
      if (r.removed && info.resource !== 'pods') {
        send(res, 200, successStatus(info.resource, info.group, name, r.object.metadata.uid ?? ''), headers);
      } else {
        // 202 only where the real server keeps it: not deleted yet, and orphanDependents=false.
        const code = !r.removed && opts.orphanDependentsFalse ? 202 : 200;
        if (opts.dryRun) send(res, code, r.object, headers);
        else sendObject(ctx, res, code, info, r.object, headers);
      }
      return;
    }
    default:
      throw methodNotAllowed();
  }
}

/** A Job deleted without a propagation policy orphans its pods: the real server warns. */
function deleteWarning(info: ResourceInfo, opts: DeleteOptions): Record<string, string> {
  if (info.resource !== 'jobs' || opts.propagationPolicy !== undefined) return {};
  return { Warning: `299 - "${JOB_DELETE_WARNING}"` };
}

function sendNotFoundText(res: ServerResponse) {
  const body = '404 page not found\n';
  res.writeHead(404, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams;
  const isWatch = boolParam(q, 'watch') === true || /\/watch\//.test(url.pathname);
  countRequest(ctx.requests, requestKind(req.method ?? 'GET', url.pathname, isWatch));
  const d = ctx.faults.decide(req.method ?? 'GET', `${url.pathname}${url.search}`, isWatch);
  if (d.latencyMs > 0) await new Promise((r) => setTimeout(r, d.latencyMs));
  if (d.status !== undefined) {
    const reason =
      d.status === 429
        ? 'TooManyRequests'
        : d.status === 503
          ? 'ServiceUnavailable'
          : d.status === 504
            ? 'Timeout'
            : 'InternalError';
    const message =
      d.status === 429
        ? 'Too many requests, please try again later.'
        : d.status === 503
          ? 'the server is currently unable to handle the request'
          : 'an error on the server ("injected fault") has prevented the request from succeeding';
    const headers: Record<string, string> = {};
    const details: Record<string, unknown> = {};
    if (d.retryAfterSeconds !== undefined) {
      headers['Retry-After'] = String(d.retryAfterSeconds);
      details.retryAfterSeconds = d.retryAfterSeconds;
    }
    await readBody(req).catch(() => '');
    throw new ApiError(d.status, reason, message, details, headers);
  }
  const segs = url.pathname.split('/').filter((s) => s !== '');
  const path = url.pathname.replace(/\/+$/, '');
  if (req.method === 'GET') {
    if (path === '/version') return send(res, 200, VERSION);
    if (path === '/openapi/v3') return send(res, 200, openapiV3Index());
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiV3Doc(path.slice('/openapi/v3/'.length));
      if (doc) return send(res, 200, doc);
    }
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
      return;
    }
  }
  const r = resolve(segs);
  // Outside the API's known groups and versions the real server's mux answers in plain text.
  if (!r) return sendNotFoundText(res);
  if ('missing' in r) throw pathNotFound();
  if ('doc' in r) {
    if (req.method !== 'GET') throw methodNotAllowed();
    if (r.discovery && wantsAggregated(req.headers.accept)) {
      const body = toJson(aggregatedDiscovery(r.discovery));
      res.writeHead(200, {
        'Content-Type': AGGREGATED_TYPE,
        'Content-Length': Buffer.byteLength(body),
        Vary: 'Accept',
      });
      res.end(body);
      return;
    }
    formats.set(req, negotiateOutput(req.headers.accept));
    return send(res, 200, r.doc === 'api' ? apiVersions(req.headers.host ?? '127.0.0.1') : r.doc);
  }
  const watching = isWatch && req.method === 'GET';
  // A Table is JSON; anything else the client accepts decides (406 when it accepts nothing we write).
  if (!watching && !wantsTable(req.headers.accept)) formats.set(req, negotiateOutput(req.headers.accept));
  await handleResource(ctx, req, res, r.target, q);
}

export class SimServer {
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly ctx: ServerContext;
  port = 0;

  constructor(ctx: ServerContext) {
    this.ctx = ctx;
    this.server = this.make();
  }

  private make(): Server {
    const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
      handle(this.ctx, req, res).catch((e: unknown) => {
        if (e instanceof ApiError) sendError(res, e);
        else {
          if (process.env.KUBE_SIM_DEBUG) console.error(e);
          sendError(res, new ApiError(500, 'InternalError', `Internal error occurred: ${String(e)}`));
        }
      });
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        this.port = typeof addr === 'object' && addr ? addr.port : port;
        resolve(this.port);
      });
    });
  }

  async close(): Promise<void> {
    for (const w of [...this.ctx.watches]) w.close();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  /** Drop every connection and listen again on the same port, keeping state. */
  async restart(): Promise<void> {
    await this.close();
    this.server = this.make();
    // The port was just released; retry briefly if the OS has not let go of it yet.
    for (let i = 0; ; i++) {
      try {
        await this.listen(this.port);
        return;
      } catch (e) {
        if (i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
