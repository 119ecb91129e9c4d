/**
 * The gateway under generated and mutated input: every operation in /openapi.json (in process), raw
 * HTTP over a socket, and the NATS intake. Whatever is asked: no 5xx, an answer before the deadline,
 * every error the seed's `{"error","type"}` with the kind of its status, nothing created by a
 * refused request, and everything healthy afterwards.
 *
 * Seeded: the seed is printed (`FUZZ_SEED=…`); `FUZZ_SEED=<n>` replays it. `FUZZ_RUNS` scales the
 * counts (default 1). A counterexample found once becomes a named case in REGRESSIONS.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isTerminal, type PipelineResponse } from '@po/contracts';
import { waitFor } from '@po/testkit';
import fc from 'fast-check';
import { sql } from 'kysely';
import { intakePipelineId } from '../nats/intake.ts';
import { serveHttp } from '../server.ts';
import { dataProcessing, finish, startRunning, storeLines } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';
import { hostileString, mutate, oddNumber, rawBody, wrongValue } from './arbitraries.ts';
import { type ApiOp, type NatsTarget, startNatsTarget } from './nats-target.ts';
import {
  encodeSegment,
  type FuzzRequest,
  idArb,
  type OpenApiDoc,
  operationsOf,
  type RequestContext,
  rarely,
  requestArb,
} from './operations.ts';
import { contractViolation } from './oracle.ts';
import { sendRaw } from './raw-http.ts';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
/** No single request may take longer, whatever it is (the app's own request timeout is 30 s). */
const DEADLINE_MS = 10_000;
/** How long an SSE follower of a pipeline that is still running is read before the client leaves. */
const FOLLOW_WINDOW_MS = 300;
const MAX_BODY_BYTES = 64 * 1024;

const customTemplate = {
  name: 'fuzz-tpl',
  description: 'echo',
  image: 'busybox:1.36',
  command: ['echo', '{{mode}}'],
  args: [],
  env: { TEXT: '{{text}}' },
  resources: { cpu_request: '100m', memory_request: '64Mi', cpu_limit: '200m', memory_limit: '128Mi' },
  configSchema: {
    type: 'object',
    properties: {
      text: { type: 'string', maxLength: 1000 },
      mode: { type: 'string', enum: ['fast', 'exact'], default: 'fast' },
    },
    required: ['text'],
  },
  backoffLimit: 0,
  defaultTimeoutSeconds: 60,
};

/** Minimal counterexamples the suite (or an attacker) found: each stays a case of its own. */
const REGRESSIONS: { name: string; req: Omit<FuzzRequest, 'op'>; as?: 'admin' | 'operator' }[] = [
  {
    name: 'a lone surrogate in a config value',
    req: {
      method: 'POST',
      url: '/pipelines',
      headers: {},
      body: '{"pipeline_type":"ETL","priority":"Low","config":{"source":"\\ud800"}}',
    },
  },
  {
    name: 'a NUL in a config value',
    req: {
      method: 'POST',
      url: '/pipelines',
      headers: {},
      body: '{"pipeline_type":"DataProcessing","priority":"Low","config":{"input_path":"/a\\u0000","output_path":"/o"}}',
    },
  },
  {
    name: 'a NUL in a config key',
    req: {
      method: 'POST',
      url: '/pipelines',
      headers: {},
      body: '{"pipeline_type":"ETL","priority":"Low","config":{"a\\u0000":1}}',
    },
  },
  {
    name: 'a NUL in a template field',
    req: {
      method: 'POST',
      url: '/templates',
      headers: {},
      body: JSON.stringify({ ...customTemplate, description: 'a\u0000' }),
    },
  },
  {
    name: 'a lone surrogate in an API key name',
    req: { method: 'POST', url: '/keys', headers: {}, body: '{"name":"k\\udc00","role":"viewer"}' },
  },
  {
    name: 'a cursor of 2^64 microseconds',
    req: {
      method: 'GET',
      url: `/pipelines?cursor=${Buffer.from(`18446744073709551616.${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`).toString('base64url')}`,
      headers: {},
    },
  },
  {
    name: 'a cursor just past year 9999',
    req: {
      method: 'GET',
      url: `/pipelines?cursor=${Buffer.from(`253402300800000000.${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`).toString('base64url')}`,
      headers: {},
    },
  },
  {
    name: 'attempt 2^31 on the logs',
    req: { method: 'GET', url: '/pipelines/{own}/logs?attempt=2147483648', headers: {} },
  },
  { name: 'a huge limit', req: { method: 'GET', url: '/pipelines?limit=99999999999999999999', headers: {} } },
  {
    name: 'a NUL in the template filter',
    req: { method: 'GET', url: '/pipelines?template=a%00', headers: {} },
  },
  { name: 'a NUL in a template name path', req: { method: 'GET', url: '/templates/a%00b', headers: {} } },
  {
    name: 'a NUL in a pipeline id path',
    req: { method: 'POST', url: '/pipelines/x%00y/cancel', headers: {} },
  },
  { name: 'invalid UTF-8 in a path id', req: { method: 'GET', url: '/pipelines/%ED%A0%80', headers: {} } },
  {
    name: 'a Last-Event-ID past 2^63 on a follower',
    req: {
      method: 'GET',
      url: '/pipelines/{own}/logs?follow=true',
      headers: { 'last-event-id': '99999999999999999999' },
    },
  },
  {
    name: 'a Last-Event-ID of 2^63 on a follower',
    req: {
      method: 'GET',
      url: '/pipelines/{own}/logs?follow=true',
      headers: { 'last-event-id': '9223372036854775808' },
    },
  },
  {
    name: 'JSON nested 30,000 deep',
    req: {
      method: 'POST',
      url: '/pipelines',
      headers: {},
      body: `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
    },
  },
  {
    name: 'a config nested 10,000 deep',
    req: {
      method: 'POST',
      url: '/pipelines',
      headers: {},
      body: `{"pipeline_type":"ETL","priority":"Low","config":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
    },
  },
];

/** Seeds that once failed, replayed on every run (with the same generators they reproduce). */
const REGRESSION_SEEDS: number[] = [];

interface Counts {
  pipelines: number;
  templates: number;
  keys: number;
  quotas: number;
}

function withDeadline<T>(p: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

describe(`fuzz (FUZZ_SEED=${SEED})`, () => {
  let h: Harness;
  let ctx: RequestContext;
  let keys: { admin: string; submitter: string; viewer: string; other: string; operator: string };
  const own: string[] = [];
  const terminalOwn = new Set<string>();
  const stderrLines: string[] = [];
  const realConsoleError = console.error;

  const counts = async (): Promise<Counts> => {
    const r = await sql<Counts>`select
        (select count(*) from pipelines)::int as pipelines,
        (select count(*) from templates)::int as templates,
        (select count(*) from api_keys)::int as keys,
        (select count(*) from tenant_quotas)::int as quotas`.execute(h.deps.db);
    return r.rows[0] as Counts;
  };

  before(async () => {
    // A stack trace printed by a stream or the framework is a finding too.
    console.error = (...args: unknown[]) => {
      stderrLines.push(args.map(String).join(' '));
    };
    h = await createHarness({
      limits: {
        ipRatePerSecond: 1e9,
        ipBurst: 1e9,
        tenantRatePerSecond: 1e9,
        tenantBurst: 1e9,
        followPollMs: 10,
        followFinalCaptureWaitMs: 20,
        maxBodyBytes: MAX_BODY_BYTES,
      },
    });
    keys = {
      admin: await h.key('fuzz', 'admin'),
      submitter: await h.key('fuzz', 'submitter'),
      viewer: await h.key('fuzz', 'viewer'),
      other: await h.key('other', 'admin'),
      operator: h.devKey,
    };
    const create = async (key: string) =>
      (
        await json<PipelineResponse>(
          await h.req('POST', '/pipelines', dataProcessing, { authorization: `Bearer ${key}` }),
        )
      ).id;
    const running = await create(keys.submitter);
    await startRunning(h.deps, running);
    await storeLines(h.deps.db, running, ['one', 'two\u2028three', 'four']);
    const done = await create(keys.submitter);
    await startRunning(h.deps, done);
    await storeLines(h.deps.db, done, ['done']);
    await finish(h.deps, done, 'Succeeded');
    terminalOwn.add(done);
    own.push(running, done, await create(keys.submitter));
    const foreign = [await create(keys.other), await create(keys.other)];
    const otherKey = await json<{ id: string }>(
      await h.req(
        'POST',
        '/keys',
        { name: 'victim', role: 'viewer' },
        { authorization: `Bearer ${keys.other}` },
      ),
    );
    foreign.push(otherKey.id);
    assert.equal(
      (await h.req('POST', '/templates', customTemplate, { authorization: `Bearer ${keys.admin}` })).status,
      201,
    );
    ctx = {
      ids: { own: () => own, foreign },
      auth: [
        ...Object.values(keys).map((k) => `Bearer ${k}`),
        `Bearer ${keys.admin}`,
        `Bearer ${keys.submitter}`,
        'Bearer ',
        'Bearer po_nope',
        'Basic YTpi',
        `bearer   ${keys.admin}  `,
        `Bearer ${'x'.repeat(600)}`,
      ],
      validBodies: {
        'POST /pipelines': [
          dataProcessing,
          {
            pipeline_type: { Custom: { template: 'fuzz-tpl' } },
            config: { text: 'a\u2028b' },
            priority: 'Low',
          },
          { pipeline_type: 'ETL', config: {}, priority: 'Critical', timeout_seconds: 60 },
        ],
        'POST /templates': [customTemplate],
        'PUT /templates/{name}': [customTemplate, { ...customTemplate, name: undefined }],
        'POST /keys': [
          { name: 'k', role: 'viewer' },
          { name: 'k', role: 'admin', tenant_id: 'other' },
        ],
        'PUT /quotas/{tenant}': [{ max_running: 5, max_queued: 100 }, {}, { max_running: null }],
      },
      maxBodyBytes: MAX_BODY_BYTES,
    };
  });

  after(async () => {
    console.error = realConsoleError;
    await h.close();
  });

  /** Sends one request in process and applies every assertion. */
  const check = async (r: FuzzRequest): Promise<void> => {
    const url = r.url.replace('{own}', own[0] ?? 'x');
    const before = await counts();
    const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
    const headers: Record<string, string> = { ...r.headers };
    if (hasBody) headers['content-length'] = String(Buffer.byteLength(r.body as string));
    let req: Request;
    try {
      req = new Request(`http://gateway.test${url}`, {
        method: r.method,
        headers,
        ...(hasBody ? { body: r.body } : {}),
      });
    } catch {
      return; // nothing a client could send
    }
    const what = `${r.method} ${url.slice(0, 200)}`;
    const res = await withDeadline(Promise.resolve(h.app.request(req)), what);
    const type = res.headers.get('content-type');
    if (type?.startsWith('text/event-stream')) {
      await readFollower(res, url, what);
      return;
    }
    const body = await withDeadline(res.text(), `${what} (body)`);
    const violation = contractViolation(res.status, type, body, r.method);
    if (violation) throw new Error(`${what} -> ${violation}`);
    if (res.status >= 400) {
      assert.deepEqual(await counts(), before, `${what} was refused (${res.status}) but changed rows`);
    }
    if (res.status === 201 && r.method === 'POST' && url.startsWith('/pipelines')) {
      const p = JSON.parse(body) as { id: string; tenant?: string };
      own.push(p.id);
    }
    assert.equal(stderrLines.length, 0, `${what} printed on stderr: ${stderrLines.join('\n').slice(0, 500)}`);
  };

  /**
   * A follower: read events until `end`. A client leaves a quiet stream of a pipeline still running;
   * a stream that closes, or whose pipeline has ended, must end with `end` before the deadline.
   */
  const readFollower = async (res: Response, url: string, what: string): Promise<void> => {
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    const id = decodeURIComponent(/\/pipelines\/([^/?]+)\/logs/.exec(url)?.[1] ?? '');
    const ended = async () => {
      const row = await h.deps.db
        .selectFrom('pipelines')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst();
      return row !== undefined && isTerminal(row.status);
    };
    const deadline = Date.now() + DEADLINE_MS;
    let text = '';
    let pending = reader.read();
    try {
      while (Date.now() < deadline) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<'idle'>((r) => {
          timer = setTimeout(() => r('idle'), FOLLOW_WINDOW_MS);
        });
        const chunk = await Promise.race([pending, idle]).finally(() => clearTimeout(timer));
        if (chunk === 'idle') {
          if (!(await ended())) return;
          continue;
        }
        if (chunk.done)
          throw new Error(`${what}: the stream closed without its end event:\n${text.slice(-300)}`);
        text += chunk.value;
        if (/(^|\n)event: end\n/.test(text)) return;
        pending = reader.read();
      }
      throw new Error(`${what}: the pipeline ended but its stream did not within ${DEADLINE_MS} ms`);
    } finally {
      await reader.cancel().catch(() => {});
      assert.equal(
        stderrLines.length,
        0,
        `${what} printed on stderr: ${stderrLines.join('\n').slice(0, 500)}`,
      );
    }
  };

  test('regressions: each minimal counterexample is answered by the contract', async () => {
    const failures: string[] = [];
    for (const r of REGRESSIONS) {
      const auth = r.as === 'operator' ? keys.operator : keys.admin;
      await check({
        op: r.name,
        ...r.req,
        headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json', ...r.req.headers },
      }).catch((err: Error) => {
        failures.push(`${r.name}: ${err.message}`);
        stderrLines.length = 0;
      });
    }
    assert.deepEqual(failures, []);
  });

  test("a finished pipeline's follower always ends with its end event, whatever Last-Event-ID", async () => {
    const done = [...terminalOwn][0] as string;
    for (const lastEventId of [
      '',
      '0',
      '1',
      'abc',
      '-1',
      '9223372036854775807',
      '9223372036854775808',
      '1'.repeat(40),
    ]) {
      const res = await h.req('GET', `/pipelines/${done}/logs?follow=true`, undefined, {
        authorization: `Bearer ${keys.viewer}`,
        'last-event-id': lastEventId,
      });
      // Resumes from a valid id; refuses anything else before the stream opens.
      if (res.status === 200)
        await readFollower(res, `/pipelines/${done}/logs`, `Last-Event-ID ${lastEventId}`);
      else {
        assert.equal(res.status, 400, `Last-Event-ID ${lastEventId}`);
        assert.equal(contractViolation(res.status, res.headers.get('content-type'), await res.text()), null);
      }
    }
  });

  test('every operation in /openapi.json, generated and mutated requests', async (t) => {
    const doc = await json<OpenApiDoc>(await h.app.request('/openapi.json'));
    const ops = operationsOf(doc);
    assert.ok(ops.length >= 20, `only ${ops.length} operations documented`);
    t.diagnostic(`FUZZ_SEED=${SEED}: ${ops.length} operations`);
    const odd = fc
      .record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        path: fc.oneof(
          fc.constantFrom(...ops.map((o) => o.path.replace(/\{[^}]+\}/g, 'x'))),
          fc
            .array(hostileString.map(encodeSegment), { minLength: 1, maxLength: 4 })
            .map((s) => `/${s.join('/')}`),
          fc.constantFrom(
            '/x%00y',
            '//pipelines',
            '/pipelines/',
            '/pipelines/..%2f..%2fkeys',
            '/%2e%2e/keys',
            '/pipelines;x',
          ),
        ),
        auth: fc.constantFrom(...ctx.auth),
        body: fc.option(
          fc.oneof(
            rawBody(MAX_BODY_BYTES),
            wrongValue.map((v) => JSON.stringify(v) ?? ''),
          ),
        ),
      })
      .map(
        (r): FuzzRequest => ({
          op: 'odd path',
          method: r.method,
          url: r.path,
          headers: { authorization: r.auth, 'content-type': 'application/json' },
          ...(r.body !== null ? { body: r.body } : {}),
        }),
      );
    const requests = fc.oneof(...ops.map((op) => requestArb(op, ctx)), odd);
    let n = 0;
    const runs = Math.round(4000 * SCALE);
    for (const seed of [...REGRESSION_SEEDS, SEED]) {
      const result = await fc.check(
        fc.asyncProperty(requests, async (r) => {
          n++;
          await check(r);
        }),
        {
          seed,
          numRuns: seed === SEED ? runs : 300,
          interruptAfterTimeLimit: 60_000 * SCALE,
          markInterruptAsFailure: false,
        },
      );
      if (result.failed) {
        assert.fail(
          `${fc.defaultReportMessage(result)}\n${String(result.errorInstance)}\nreplay: FUZZ_SEED=${seed}`,
        );
      }
    }
    t.diagnostic(`${n} requests`);
    assert.equal((await h.app.request('/health')).status, 200);
  });

  describe('over a real socket', () => {
    let server: Server;
    let port: number;
    before(async () => {
      server = serveHttp(h.app.fetch, 0, '127.0.0.1');
      if (!server.listening) await new Promise((r) => server.once('listening', r));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    test("Node's own answers (headers too large, malformed request) carry the seed's body", async () => {
      const big = await sendRaw(
        port,
        Buffer.from(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
        DEADLINE_MS,
      );
      assert.equal(big.status, 431);
      assert.equal(contractViolation(big.status as number, big.contentType, big.body), null, big.body);
      const garbage = await sendRaw(port, Buffer.from('GARBAGE\r\n\r\n'), DEADLINE_MS);
      assert.equal(garbage.status, 400);
      assert.deepEqual(JSON.parse(garbage.body), {
        error: 'Invalid pipeline configuration: malformed HTTP request',
        type: 'InvalidConfig',
      });
    });

    test('raw requests: broken request lines, headers and bodies', async (t) => {
      const line = fc.oneof(fc.constantFrom('\r\n', '\n'));
      const header = fc.oneof(
        fc.constantFrom(
          ['Authorization', `Bearer ${keys.admin}`],
          ['Content-Type', 'application/json'],
          ['Content-Length', '5'],
          ['Content-Length', '-1'],
          ['Content-Length', 'abc'],
          ['Content-Length', '99999999999999999999'],
          ['Transfer-Encoding', 'chunked'],
          ['Transfer-Encoding', 'gzip, chunked'],
          ['Expect', '100-continue'],
          ['Connection', 'close'],
          ['X-Big', 'a'.repeat(20_000)],
          ['Last-Event-ID', '99999999999999999999'],
          ['X-Forwarded-For', "1.2.3.4, ' or 1=1"],
          [' Bad', 'space before the name'],
          ['Bad Name', 'x'],
          ['Folded', 'a\r\n continued'],
          ['Idempotency-Key', '\u00ff\u00fe'],
        ) as fc.Arbitrary<[string, string]>,
        fc.tuple(
          fc.constantFrom('Idempotency-Key', 'X-Request-Id', 'Authorization', 'Last-Event-ID'),
          fc.oneof(hostileString, oddNumber),
        ),
      );
      const raw = fc
        .record({
          method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get', 'G\u0000T', 'FOO', ''),
          target: fc.oneof(
            fc.constantFrom(
              '/health',
              '/pipelines',
              '/keys',
              '/templates',
              '/quota',
              '*',
              'http://x/pipelines',
              '/x%00y',
              '/a b',
              `/${'p'.repeat(10_000)}`,
            ),
            idArb(ctx.ids).map((id) => `/pipelines/${encodeSegment(id)}/logs?follow=true`),
          ),
          version: fc.constantFrom(
            'HTTP/1.1',
            'HTTP/1.1',
            'HTTP/1.0',
            'HTTP/2.0',
            'HTTP/9.9',
            'HTTP/1.1x',
            '',
          ),
          eol: line,
          headers: fc.array(header, { maxLength: 5 }),
          body: fc.option(
            fc.oneof(rawBody(MAX_BODY_BYTES), fc.constantFrom('0\r\n\r\n', 'zz\r\nab\r\n', '5\r\nab')),
          ),
        })
        .map((r) => {
          const head = [
            `${r.method} ${r.target} ${r.version}`,
            'Host: gateway.test',
            ...r.headers.map(([k, v]) => `${k}: ${v}`),
          ];
          return Buffer.concat([
            Buffer.from(head.join(r.eol) + r.eol + r.eol, 'latin1'),
            Buffer.from(r.body ?? '', 'utf8'),
          ]);
        });
      let n = 0;
      const result = await fc.check(
        fc.asyncProperty(raw, async (payload) => {
          n++;
          const a = await sendRaw(port, payload, DEADLINE_MS);
          assert.equal(a.timedOut, false, 'neither answered nor closed in time');
          if (a.status !== null) {
            const v = a.contentType?.startsWith('text/event-stream')
              ? null
              : contractViolation(a.status, a.contentType, a.body);
            assert.equal(v, null, v ?? '');
          }
          assert.equal(stderrLines.length, 0, stderrLines.join('\n').slice(0, 500));
        }),
        {
          seed: SEED,
          numRuns: Math.round(400 * SCALE),
          interruptAfterTimeLimit: 20_000 * SCALE,
          markInterruptAsFailure: false,
        },
      );
      if (result.failed)
        assert.fail(
          `${fc.defaultReportMessage(result)}\n${String(result.errorInstance)}\nreplay: FUZZ_SEED=${SEED}`,
        );
      t.diagnostic(`${n} raw requests`);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
    });
  });

  describe('the NATS intake', () => {
    let nats: NatsTarget;
    const intakeErrors: string[] = [];
    before(async () => {
      nats = await startNatsTarget(h, ['fuzz', 'other'], (line) => intakeErrors.push(line));
    });
    after(() => nats.stop());

    /** Who sends: a tenant's NATS identity (the old protocol's `api_key` in the body is only noise now). */
    const sender = () => fc.constantFrom(...nats.tenants);
    const legacyKey = () => rarely(fc.constantFrom(keys.submitter, 'po_nope', ''));
    const withLegacy = (body: Record<string, unknown>, key: string | null) =>
      key === null ? body : { ...body, api_key: key };
    const pipelineBody = () =>
      fc.oneof(
        fc.constantFrom(...(ctx.validBodies['POST /pipelines'] ?? [])),
        fc.constantFrom(...(ctx.validBodies['POST /pipelines'] ?? [])).chain(mutate),
      );
    const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v) ?? '');

    test('request/reply: create, get and cancel answer every message with the contract', async (t) => {
      const message = fc.oneof(
        fc
          .record({
            op: fc.constant<ApiOp>('create'),
            body: fc.record({
              req: pipelineBody(),
              as: sender(),
              legacy: legacyKey(),
              key: fc.option(
                fc.oneof(
                  hostileString,
                  fc.stringMatching(/^[\x21-\x7e]{1,20}$/).map((s) => `r-${s}`),
                ),
                { freq: 2 },
              ),
            }),
          })
          .map(({ op, body }) => {
            const req = (
              body.req !== null && typeof body.req === 'object' ? body.req : { req: body.req }
            ) as Record<string, unknown>;
            const withKey = body.key === null ? req : { ...req, idempotency_key: body.key };
            return { op, as: body.as, data: encode(withLegacy(withKey, body.legacy)) };
          }),
        fc
          .record({
            op: fc.constantFrom<ApiOp>('get', 'cancel'),
            id: fc.oneof(idArb(ctx.ids), wrongValue),
            as: sender(),
            extra: fc.option(fc.dictionary(hostileString, wrongValue, { maxKeys: 2 }), { freq: 4 }),
          })
          .map(({ op, id, as, extra }) => ({ op, as, data: encode({ id, ...(extra ?? {}) }) })),
        fc
          .record({
            op: fc.constantFrom<ApiOp>('create', 'get', 'cancel'),
            as: sender(),
            raw: rawBody(MAX_BODY_BYTES),
          })
          .map(({ op, as, raw }) => ({ op, as, data: new TextEncoder().encode(raw) })),
      );
      let n = 0;
      const result = await fc.check(
        fc.asyncProperty(message, async ({ op, as, data }) => {
          n++;
          const before = await counts();
          const r = await nats.request(as, op, data, DEADLINE_MS);
          assert.notEqual(r, 'timeout', `${op}: no reply within ${DEADLINE_MS} ms`);
          if (r === 'timeout') return;
          const v = contractViolation(r.status, 'application/json', r.body);
          assert.equal(v, null, `${op} -> ${v}`);
          if (r.status >= 400)
            assert.deepEqual(await counts(), before, `${op} refused (${r.status}) but changed rows`);
          if (r.status === 201) own.push((JSON.parse(r.body) as { id: string }).id);
          assert.deepEqual(intakeErrors, []);
        }),
        {
          seed: SEED,
          numRuns: Math.round(600 * SCALE),
          interruptAfterTimeLimit: 20_000 * SCALE,
          markInterruptAsFailure: false,
        },
      );
      if (result.failed)
        assert.fail(
          `${fc.defaultReportMessage(result)}\n${String(result.errorInstance)}\nreplay: FUZZ_SEED=${SEED}`,
        );
      t.diagnostic(`${n} NATS requests`);
    });

    test('submit: every message is created or dead-lettered with a seed kind, never failed as a fault', async (t) => {
      const message = fc.record({
        req: fc.oneof({ weight: 4, arbitrary: pipelineBody() }, { weight: 1, arbitrary: wrongValue }),
        as: sender(),
        legacy: legacyKey(),
        msgId: fc.option(
          fc.oneof(hostileString, {
            weight: 3,
            // A NATS header value travels trimmed: a valid key has no spaces to lose.
            arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,20}$/).map((s) => `s-${s}`),
          }),
          { freq: 10 },
        ),
        raw: rarely(rawBody(MAX_BODY_BYTES)),
      });
      /** Each submission the stream kept: its sequence and the pipeline it would create. */
      const sent: { seq: number; id: string | undefined; tenant: string; key: string | null }[] = [];
      const result = await fc.check(
        fc.asyncProperty(message, async (m) => {
          const req = (
            m.req !== null && typeof m.req === 'object' && !Array.isArray(m.req) ? m.req : { body: m.req }
          ) as Record<string, unknown>;
          const data = m.raw !== null ? new TextEncoder().encode(m.raw) : encode(withLegacy(req, m.legacy));
          const r = await withDeadline(nats.submit(m.as, data, m.msgId ?? undefined), 'submit');
          if (!r.sent || r.duplicate) return;
          // The key as the stream holds it (and the gateway reads it), not as given: the NATS client
          // trims header values (seed 298091363: "v$\f" arrived as "v$").
          const id = r.key !== null ? intakePipelineId(m.as, r.key) : undefined;
          sent.push({ seq: r.seq, id, tenant: m.as, key: r.key });
        }),
        {
          seed: SEED,
          numRuns: Math.round(400 * SCALE),
          interruptAfterTimeLimit: 15_000 * SCALE,
          markInterruptAsFailure: false,
        },
      );
      if (result.failed)
        assert.fail(
          `${fc.defaultReportMessage(result)}\n${String(result.errorInstance)}\nreplay: FUZZ_SEED=${SEED}`,
        );
      // Settled: every submission has its pipeline or its dead letter. Its pipeline is the one its
      // id names, or — when the request/reply test above already used the same idempotency key for
      // that tenant with the same body — the pipeline that key already stood for (an idempotent
      // replay answers the existing pipeline, found by seed 491247965).
      const created = async () => {
        const ids = sent.flatMap((s) => (s.id ? [s.id] : []));
        const rows =
          ids.length === 0
            ? []
            : await h.deps.db.selectFrom('pipelines').select('id').where('id', 'in', ids).execute();
        return new Set(rows.map((r) => r.id));
      };
      const replayed = async (s: (typeof sent)[number]) =>
        s.key !== null &&
        (await h.deps.db
          .selectFrom('pipelines')
          .select('id')
          .where('tenant_id', '=', s.tenant)
          .where('idempotency_key', '=', s.key)
          .executeTakeFirst()) !== undefined;
      const unresolved = async () => {
        const [ids, dead] = await Promise.all([created(), nats.submitDeadLetters()]);
        const left = sent.filter((s) => !dead.has(s.seq) && !(s.id !== undefined && ids.has(s.id)));
        const still: typeof sent = [];
        for (const s of left) if (!(await replayed(s))) still.push(s);
        return still;
      };
      await waitFor(
        'every submission created or dead-lettered',
        async () => (await unresolved()).length === 0,
        60_000,
      ).catch(async (err: Error) => {
        const left = await Promise.all(
          (await unresolved()).map(async (s) => `${await nats.describeSubmission(s.seq)} (expected ${s.id})`),
        );
        assert.fail(
          `${err.message}; neither created nor refused:\n${left.join('\n')}\n${intakeErrors.join('\n')}`,
        );
      });
      const [ids, dead] = await Promise.all([created(), nats.submitDeadLetters()]);
      const both = sent.filter((s) => dead.has(s.seq) && s.id !== undefined && ids.has(s.id));
      assert.deepEqual(both, [], 'submissions both created and dead-lettered');
      const faults = [...dead.values()]
        .flat()
        .filter((reason) => /Internal|max deliveries|^Error/.test(reason));
      assert.deepEqual(faults, [], 'submissions that failed as faults instead of refusals');
      assert.deepEqual(intakeErrors, []);
      t.diagnostic(`${sent.length} submissions: ${sent.length - dead.size} created, ${dead.size} refused`);
      // Still serving.
      const r = await nats.request('fuzz', 'get', encode({ id: own[0] }), DEADLINE_MS);
      assert.ok(r !== 'timeout' && r.status === 200);
      assert.equal((await h.app.request('/health')).status, 200);
    });
  });
});
