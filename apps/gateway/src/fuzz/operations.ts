/**
 * The operations to fuzz, read from the gateway's own /openapi.json so a new endpoint is covered
 * as soon as it is documented; and a request generator per operation.
 */
import fc from 'fast-check';
import { hostileString, mutate, oddCursor, oddDate, oddNumber, rawBody, wrongValue } from './arbitraries.ts';

interface Schema {
  type?: string;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: Schema | boolean;
  $ref?: string;
}

export interface Operation {
  method: string;
  /** The OpenAPI path template, `/pipelines/{id}`. */
  path: string;
  params: { in: 'path' | 'query' | 'header'; name: string; schema: Schema }[];
  body: Schema | undefined;
}

export interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: 'path' | 'query' | 'header'; name: string; schema: Schema }[];
        requestBody?: { content: Record<string, { schema: Schema }> };
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  const deref = (s: Schema): Schema =>
    s.$ref ? deref(doc.components?.schemas?.[s.$ref.replace('#/components/schemas/', '')] ?? {}) : s;
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).map((p) => ({ ...p, schema: deref(p.schema) })),
      body: op.requestBody?.content['application/json']
        ? deref(op.requestBody.content['application/json'].schema)
        : undefined,
    })),
  );
}

/** A value the schema accepts (mostly), for parameters and bodies the table below does not know. */
export function fromSchema(s: Schema): fc.Arbitrary<unknown> {
  if (s.enum) return fc.constantFrom(...s.enum);
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return fc.oneof(...alt.map(fromSchema));
  switch (s.type) {
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 1000, 2 ** 31 - 1) });
    case 'number':
      return fc.double({ noNaN: true, min: s.minimum ?? -1e6, max: s.maximum ?? 1e6 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(s.items ?? {}), { maxLength: 3 });
    case 'object': {
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      return fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fromSchema(v)])), {
        requiredKeys: Object.keys(props).filter((k) => required.has(k)),
      });
    }
    case 'string':
      if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
      return fc.string({ maxLength: Math.min(s.maxLength ?? 20, 40) });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Ids worth trying: the fuzz tenant's own, another tenant's, unknown ones, and odd strings. */
export interface IdPool {
  own: () => string[];
  foreign: string[];
}

const INVALID_OWN = '00000000-0000-4000-8000-000000000000';

export function idArb(pool: IdPool): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.nat().map((i) => {
        const own = pool.own();
        return own.length > 0 ? (own[i % own.length] as string) : INVALID_OWN;
      }),
    },
    { weight: 2, arbitrary: fc.constantFrom(...pool.foreign) },
    { weight: 1, arbitrary: fc.tuple(fc.uuid(), fc.boolean()).map(([u, up]) => (up ? u.toUpperCase() : u)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('data-processing', 'etl', 'fuzz-tpl', 'default', 'acme', 'other'),
    },
    { weight: 3, arbitrary: hostileString },
  );
}

/** URL-encode what a client can encode; lone surrogates travel as the invalid UTF-8 a client would send. */
export function encodeSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s.replace(/[\ud800-\udfff]/g, '%ED%A0%80').replace(/[^A-Za-z0-9%._~-]/g, (c) => {
      try {
        return encodeURIComponent(c);
      } catch {
        return '%ED%A0%80';
      }
    });
  }
}

export interface FuzzRequest {
  op: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RequestContext {
  ids: IdPool;
  /** Authorization header values: each role of the fuzz tenant, other tenants, garbage. */
  auth: string[];
  /** Known-good bodies for `METHOD path`, the start of mutations. */
  validBodies: Record<string, unknown[]>;
  maxBodyBytes: number;
}

function paramValue(p: Operation['params'][number], ctx: RequestContext): fc.Arbitrary<string> {
  const s = p.schema;
  const valid = fromSchema(s).map((v) => String(v));
  const odd =
    s.type === 'integer' || s.type === 'number'
      ? oddNumber
      : s.format === 'date-time'
        ? oddDate
        : p.name === 'cursor'
          ? oddCursor
          : p.in === 'path'
            ? idArb(ctx.ids)
            : hostileString;
  return p.in === 'path' ? fc.oneof(idArb(ctx.ids), valid) : fc.oneof(valid, odd);
}

function bodyFor(op: Operation, ctx: RequestContext): fc.Arbitrary<string> {
  const known = ctx.validBodies[`${op.method} ${op.path}`] ?? [];
  const bases = known.length > 0 ? fc.constantFrom(...known) : fromSchema(op.body ?? {});
  return fc.oneof(
    { weight: 2, arbitrary: bases.map((b) => JSON.stringify(b)) },
    { weight: 6, arbitrary: bases.chain(mutate).map((b) => JSON.stringify(b) ?? 'null') },
    { weight: 1, arbitrary: wrongValue.map((b) => JSON.stringify(b) ?? 'null') },
    { weight: 1, arbitrary: rawBody(ctx.maxBodyBytes) },
  );
}

/** Header values a client can send (ByteString, no CR/LF/NUL); the raw-socket part sends the rest. */
export function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e\x80-\xff\t]/g, '?');
}

/** `arb` one time in ten, else null (fc.option's nil is at most one time in two). */
export function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

export function requestArb(op: Operation, ctx: RequestContext): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const headerParams = op.params.filter((p) => p.in === 'header');
  return fc
    .record({
      path: fc.tuple(...pathParams.map((p) => paramValue(p, ctx))),
      query: fc.tuple(...queryParams.map((p) => fc.option(paramValue(p, ctx), { freq: 2 }))),
      extraQuery: fc.array(fc.tuple(hostileString, hostileString), { maxLength: 2 }),
      declaredHeaders: fc.tuple(
        ...headerParams.map((p) => fc.option(fc.oneof(fromSchema(p.schema).map(String), hostileString))),
      ),
      auth: fc.option(fc.constantFrom(...ctx.auth), { freq: 12 }),
      contentType: fc.option(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x+json',
          'multipart/form-data',
          '',
        ),
        { freq: 8 },
      ),
      extraHeaders: fc.array(
        fc.tuple(
          fc.constantFrom(
            'last-event-id',
            'x-forwarded-for',
            'x-request-id',
            'traceparent',
            'accept',
            'idempotency-key',
            'content-length',
          ),
          fc.oneof(hostileString, oddNumber),
        ),
        { maxLength: 2 },
      ),
      follow: fc.boolean(),
      body: op.body
        ? fc.option(bodyFor(op, ctx), { freq: 10 })
        : rarely(
            fc.oneof(
              rawBody(ctx.maxBodyBytes),
              wrongValue.map((v) => JSON.stringify(v) ?? ''),
            ),
          ),
    })
    .map((r) => {
      let url = op.path;
      pathParams.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, encodeSegment(r.path[i] ?? ''));
      });
      const q: string[] = [];
      queryParams.forEach((p, i) => {
        const v = r.query[i];
        if (v !== null && v !== undefined) q.push(`${encodeSegment(p.name)}=${encodeSegment(v)}`);
      });
      for (const [k, v] of r.extraQuery) q.push(`${encodeSegment(k)}=${encodeSegment(v)}`);
      if (r.follow && op.path.endsWith('/logs')) q.push('follow=true');
      if (q.length > 0) url += `?${q.join('&')}`;
      const headers: Record<string, string> = {};
      if (r.auth !== null) headers.authorization = r.auth;
      if (r.contentType !== null) headers['content-type'] = r.contentType;
      headerParams.forEach((p, i) => {
        const v = r.declaredHeaders[i];
        if (v !== null && v !== undefined) headers[p.name] = headerSafe(v);
      });
      for (const [k, v] of r.extraHeaders) if (k !== 'content-length') headers[k] = headerSafe(v);
      return {
        op: `${op.method} ${op.path}`,
        method: op.method,
        url,
        headers,
        ...(r.body !== null ? { body: r.body } : {}),
      };
    });
}
