// The HTTP front: routing, request bodies, fault injection, errors as Status objects.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Cluster, DeleteOptions } from './cluster.ts';
import type { Faults } from './faults.ts';
import { toJson } from './json.ts';
import type { LogStore } from './logs.ts';
import { decodeProtobufObject } from './protobuf.ts';
import { apiVersionOf, findResource, PODS, type ResourceInfo } from './resources.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, VERSION } from './routes/discovery.ts';
import { serveLogs } from './routes/logs.ts';
import { openapiV3Doc, openapiV3Index } from './routes/openapi.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError, badRequest, methodNotAllowed, pathNotFound, successStatus } from './status.ts';
import { toTable, wantsTable } from './table.ts';
import type { KubeObject, Pod } from './types.ts';
import { isRecord, now } from './types.ts';
import { type ActiveWatch, serveWatch } from './watch.ts';

export interface ServerContext {
  cluster: Cluster;
  logs: LogStore;
  faults: Faults;
  watches: Set<ActiveWatch>;
  bookmarkIntervalMs: number;
}

const MAX_BODY = 3 * 1024 * 1024;

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) {
  const json = toJson(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

/** Send a stored object: the JSON cached for its version when it is the current one. */
function sendObject(
  ctx: ServerContext,
  res: ServerResponse,
  code: number,
  info: ResourceInfo,
  o: KubeObject,
) {
  const store = ctx.cluster.store;
  const e = store.entry(info.resource, o.metadata.namespace, o.metadata.name ?? '');
  sendBody(res, code, e && e.obj === o ? store.bodyOf(e) : toJson(o));
}

function sendBody(res: ServerResponse, code: number, body: string | Buffer) {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
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
  return (req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
}

/** Typed clients POST protobuf; we accept it for namespaces (metadata only), JSON for the rest. */
async function readObject(req: IncomingMessage, info: ResourceInfo): Promise<unknown> {
  const text = await readBody(req, isProtobuf(req));
  if (isProtobuf(req)) {
    if (info.resource !== 'namespaces') {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json',
      );
    }
    return decodeProtobufObject(Buffer.from(text, 'latin1'));
  }
  return parseJson(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the object provided is unrecognized: ${(e as Error).message}`);
  }
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  return v === 'true' || v === '1' || v === '';
}

interface Target {
  info: ResourceInfo;
  ns: string | undefined;
  name: string | undefined;
  sub: string | undefined;
}

/** Map /api/v1/... and /apis/{group}/{version}/... to a resource target, or a discovery doc. */
function resolve(segs: string[]): { target?: Target; doc?: unknown } | undefined {
  let group = '';
  let version: string | undefined;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { doc: 'api' };
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { doc: apiGroupList() };
    group = segs[1] ?? '';
    if (segs.length === 2) {
      const g = apiGroup(group);
      return g ? { doc: g } : undefined;
    }
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  if (!version) return undefined;
  if (rest.length === 0) {
    const doc = apiResourceList(group, version);
    return doc ? { doc } : undefined;
  }
  let ns: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const info = findResource(group, version, rest[0] ?? '');
  if (!info) return undefined;
  if (ns !== undefined && !info.namespaced) return undefined;
  if (rest.length > 3) return undefined;
  const sub = rest[2];
  if (sub !== undefined && !info.subresources.includes(sub)) return undefined;
  return { target: { info, ns, name: rest[1], sub } };
}

function deleteOptions(body: string, q: URLSearchParams): DeleteOptions {
  const opts: DeleteOptions = {};
  // Like the real server: a non-empty body is the DeleteOptions, and query parameters are ignored.
  if (body.trim() !== '') {
    const b = parseJson(body);
    if (isRecord(b)) {
      if (typeof b.propagationPolicy === 'string') opts.propagationPolicy = b.propagationPolicy;
      else if (b.orphanDependents === true) opts.propagationPolicy = 'Orphan';
      else if (b.orphanDependents === false) opts.propagationPolicy = 'Background';
      if (typeof b.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = b.gracePeriodSeconds;
      if (isRecord(b.preconditions)) {
        const pre: NonNullable<DeleteOptions['preconditions']> = {};
        if (typeof b.preconditions.uid === 'string') pre.uid = b.preconditions.uid;
        if (typeof b.preconditions.resourceVersion === 'string')
          pre.resourceVersion = b.preconditions.resourceVersion;
        opts.preconditions = pre;
      }
      if (Array.isArray(b.dryRun) && b.dryRun.includes('All')) opts.dryRun = true;
    }
    return opts;
  }
  const pp = q.get('propagationPolicy');
  if (pp) opts.propagationPolicy = pp;
  else if (q.get('orphanDependents') === 'true') opts.propagationPolicy = 'Orphan';
  else if (q.get('orphanDependents') === 'false') opts.propagationPolicy = 'Background';
  const g = intParam(q, 'gracePeriodSeconds');
  if (g !== undefined) opts.gracePeriodSeconds = g;
  if (q.get('dryRun') === 'All') opts.dryRun = true;
  return opts;
}

function listHead(info: ResourceInfo, r: ReturnType<Cluster['list']>): string {
  const metadata: Record<string, unknown> = { resourceVersion: r.resourceVersion };
  if (r.continue) {
    metadata.continue = r.continue;
    metadata.remainingItemCount = r.remainingItemCount;
  }
  return `{"kind":"${info.kind}List","apiVersion":"${apiVersionOf(info)}","metadata":${toJson(metadata)},"items":[`;
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
  const dryRun = q.get('dryRun') === 'All';
  const table = wantsTable(req.headers.accept);
  if (name === undefined) {
    if (method === 'GET') {
      const labelSelector = parseLabelSelector(q.get('labelSelector'));
      const fieldSelector = parseFieldSelector(q.get('fieldSelector'), info.fieldSelectors);
      if (boolParam(q, 'watch')) {
        serveWatch(
          cluster.store,
          req,
          res,
          {
            info,
            ns,
            labelSelector,
            fieldSelector,
            resourceVersion: q.get('resourceVersion') ?? undefined,
            timeoutSeconds: intParam(q, 'timeoutSeconds'),
            allowBookmarks: boolParam(q, 'allowWatchBookmarks') === true,
            sendInitialEvents: boolParam(q, 'sendInitialEvents'),
            cut: ctx.faults.watchCut(req.url ?? ''),
            bookmarkIntervalMs: ctx.bookmarkIntervalMs,
          },
          ctx.watches,
        );
        return;
      }
      const opts: Parameters<Cluster['list']>[2] = { labelSelector, fieldSelector };
      const limit = intParam(q, 'limit');
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
        listHead(info, r),
        r.entries.map((e) => store.bodyOf(e)),
      );
      return;
    }
    if (method === 'POST') {
      const body = await readObject(req, info);
      const created = cluster.create(info, ns, body, dryRun);
      sendObject(ctx, res, 201, info, created);
      return;
    }
    if (method === 'DELETE' && info.verbs.includes('deletecollection')) {
      const body = await readBody(req);
      const opts = deleteOptions(body, q);
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
      send(res, 200, {
        kind: `${info.kind}List`,
        apiVersion: apiVersionOf(info),
        metadata: { resourceVersion: String(cluster.store.resourceVersion) },
        items,
      });
      return;
    }
    throw methodNotAllowed();
  }

  if (sub === 'log') {
    if (method !== 'GET') throw methodNotAllowed();
    serveLogs(cluster.store, ctx.logs, ns ?? '', name, q, res);
    return;
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
      const body = parseJson(await readBody(req));
      const o = cluster.replace(info, ns, name, body, sub, dryRun);
      sendObject(ctx, res, 200, info, o);
      return;
    }
    case 'PATCH': {
      const body = parseJson(await readBody(req));
      const o = cluster.patch(info, ns, name, req.headers['content-type'] ?? '', body, sub, dryRun);
      sendObject(ctx, res, 200, info, o);
      return;
    }
    case 'DELETE': {
      if (sub) throw methodNotAllowed();
      const opts = deleteOptions(await readBody(req), q);
      const r = cluster.delete(info, ns, name, opts);
      if (r.removed && info.resource !== 'pods') {
        send(res, 200, successStatus(info.resource, info.group, name, r.object.metadata.uid ?? ''));
      } else {
        send(res, r.removed ? 200 : 202 - (info.resource === 'pods' ? 2 : 0), r.object);
      }
      return;
    }
    default:
      throw methodNotAllowed();
  }
}

async function handle(ctx: ServerContext, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams;
  const isWatch = boolParam(q, 'watch') === true;
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
  if (!r) throw pathNotFound();
  if (r.doc !== undefined) {
    if (req.method !== 'GET') throw methodNotAllowed();
    return send(res, 200, r.doc === 'api' ? apiVersions(req.headers.host ?? '127.0.0.1') : r.doc);
  }
  if (r.target) await handleResource(ctx, req, res, r.target, q);
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
