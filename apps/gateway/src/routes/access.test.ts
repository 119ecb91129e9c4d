import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import { dataProcessing } from '../testing/fixtures.ts';
import { createHarness, FakeClock, type Harness, json } from '../testing/harness.ts';

describe('auth, tenancy, limits, pagination, audit', () => {
  let h: Harness;
  const clock = new FakeClock();
  before(async () => {
    h = await createHarness({
      clock,
      limits: {
        ipRatePerSecond: 1,
        ipBurst: 1000,
        tenantRatePerSecond: 1,
        tenantBurst: 1000,
        maxBodyBytes: 4096,
      },
    });
  });
  after(() => h.close());

  test('no key or an unknown key is 401 with WWW-Authenticate; public endpoints need none', async () => {
    const none = await h.app.request('/pipelines');
    assert.equal(none.status, 401);
    assert.ok(none.headers.get('www-authenticate')?.startsWith('Bearer'));
    assert.equal((await json<ErrorBody>(none)).type, 'Unauthorized');
    const bad = await h.req('GET', '/pipelines', undefined, { authorization: 'Bearer nope' });
    assert.equal(bad.status, 401);
    for (const path of ['/health', '/openapi.json', '/docs']) {
      assert.equal((await h.app.request(path)).status, 200, path);
    }
    // Metrics are on the ops port only: the public API does not serve them, with or without a key.
    assert.notEqual((await h.app.request('/metrics')).status, 200);
  });

  test('roles: a viewer cannot submit (403), a submitter cannot manage keys (403)', async () => {
    const viewer = await h.key('acme', 'viewer');
    const res = await h.req('POST', '/pipelines', dataProcessing, { authorization: `Bearer ${viewer}` });
    assert.equal(res.status, 403);
    assert.equal((await json<ErrorBody>(res)).type, 'Forbidden');
    assert.equal(
      (await h.req('GET', '/pipelines', undefined, { authorization: `Bearer ${viewer}` })).status,
      200,
    );
    const submitter = await h.key('acme', 'submitter');
    const keys = await h.req(
      'POST',
      '/keys',
      { name: 'x', role: 'viewer' },
      { authorization: `Bearer ${submitter}` },
    );
    assert.equal(keys.status, 403);
  });

  test("a tenant never sees another tenant's pipelines (404, empty list)", async () => {
    const a = await h.key('tenant-a', 'submitter');
    const b = await h.key('tenant-b', 'submitter');
    const p = await json<PipelineResponse>(
      await h.req('POST', '/pipelines', dataProcessing, { authorization: `Bearer ${a}` }),
    );
    const asB = { authorization: `Bearer ${b}` };
    assert.equal((await h.req('GET', `/pipelines/${p.id}`, undefined, asB)).status, 404);
    assert.equal((await h.req('GET', `/pipelines/${p.id}/logs`, undefined, asB)).status, 404);
    assert.equal((await h.req('GET', `/pipelines/${p.id}/events`, undefined, asB)).status, 404);
    assert.equal((await h.req('POST', `/pipelines/${p.id}/cancel`, undefined, asB)).status, 404);
    assert.equal((await h.req('POST', `/pipelines/${p.id}/restart`, undefined, asB)).status, 404);
    assert.deepEqual(await json<unknown[]>(await h.req('GET', '/pipelines', undefined, asB)), []);
    assert.equal(
      (await h.req('GET', `/pipelines/${p.id}`, undefined, { authorization: `Bearer ${a}` })).status,
      200,
    );
  });

  test('admin-created keys work, are stored hashed, and can be revoked', async () => {
    const res = await h.req('POST', '/keys', { name: 'ci', role: 'submitter', tenant_id: 'team-x' });
    assert.equal(res.status, 201);
    const k = await json<{ id: string; key: string; tenant_id: string }>(res);
    assert.equal(k.tenant_id, 'team-x');
    const row = await h.deps.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', k.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(row.key_hash, k.key);
    assert.ok(!row.key_hash.includes(k.key));
    const auth = { authorization: `Bearer ${k.key}` };
    assert.equal((await h.req('POST', '/pipelines', dataProcessing, auth)).status, 201);
    const admin = await h.key('team-x', 'admin');
    assert.equal(
      (await h.req('DELETE', `/keys/${k.id}`, undefined, { authorization: `Bearer ${admin}` })).status,
      204,
    );
    assert.equal((await h.req('GET', '/pipelines', undefined, auth)).status, 401);
  });

  test('bad requests: 415 non-JSON, 413 too large, 400 too deep / too long, 404 unknown route', async () => {
    const text = await h.req('POST', '/pipelines', 'hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal((await json<ErrorBody>(text)).type, 'UnsupportedMediaType');
    const big = await h.req('POST', '/pipelines', {
      ...dataProcessing,
      config: { input_path: 'x'.repeat(5000) },
    });
    assert.equal(big.status, 413);
    assert.equal((await json<ErrorBody>(big)).type, 'PayloadTooLarge');
    // Decided by Content-Length alone when there is one (as from Node's HTTP server).
    const sized = JSON.stringify({ ...dataProcessing, config: { input_path: 'x'.repeat(5000) } });
    const bigSized = await h.req('POST', '/pipelines', sized, {
      'content-length': String(Buffer.byteLength(sized)),
    });
    assert.equal(bigSized.status, 413);
    const small = JSON.stringify(dataProcessing);
    const smallSized = await h.req('POST', '/pipelines', small, {
      'content-length': String(Buffer.byteLength(small)),
    });
    assert.equal(smallSized.status, 201);
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 12; i++) deep = { d: deep };
    const tooDeep = await h.req('POST', '/pipelines', {
      ...dataProcessing,
      config: { ...dataProcessing.config, deep },
    });
    assert.equal(tooDeep.status, 400);
    assert.match((await json<ErrorBody>(tooDeep)).error, /config\.deep.*nested deeper/);
    const missing = await h.req('GET', '/nope');
    assert.equal(missing.status, 404);
    assert.equal((await json<ErrorBody>(missing)).type, 'NotFound');
    const badQuery = await h.req('GET', '/pipelines?status=Bogus');
    assert.equal(badQuery.status, 400);
    assert.match((await json<ErrorBody>(badQuery)).error, /status/);
  });

  test('list: filters, newest first, cursor pagination via Link rel="next" with no gaps or repeats', async () => {
    const key = await h.key('pager', 'submitter');
    const auth = { authorization: `Bearer ${key}` };
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const body = { ...dataProcessing, priority: i % 2 === 0 ? 'High' : 'Low' };
      clock.advance(1);
      ids.push((await json<PipelineResponse>(await h.req('POST', '/pipelines', body, auth))).id);
    }
    const seen: string[] = [];
    let next: string | undefined = '/pipelines?limit=3';
    let pages = 0;
    while (next) {
      const res = await h.req('GET', next, undefined, auth);
      assert.equal(res.status, 200);
      seen.push(...(await json<PipelineResponse[]>(res)).map((p) => p.id));
      next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
      pages += 1;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());
    const high = await json<PipelineResponse[]>(
      await h.req('GET', '/pipelines?priority=High', undefined, auth),
    );
    assert.equal(high.length, 4);
    assert.ok(high.every((p) => p.priority === 'High'));
    const typed = await json<PipelineResponse[]>(
      await h.req('GET', '/pipelines?pipeline_type=ETL&status=Queued', undefined, auth),
    );
    assert.equal(typed.length, 0);
    const capped = await h.req('GET', '/pipelines?limit=100000', undefined, auth);
    assert.equal(capped.status, 200);
  });

  test('rate limits: per tenant after auth and per client address before auth, 429 with Retry-After', async () => {
    const h2 = await createHarness({
      clock,
      limits: { ipRatePerSecond: 1, ipBurst: 3, tenantRatePerSecond: 1, tenantBurst: 2 },
    });
    try {
      const ip = (n: number) => ({ 'x-forwarded-for': `10.0.0.${n}` });
      assert.equal((await h2.req('GET', '/pipelines', undefined, ip(1))).status, 200);
      assert.equal((await h2.req('GET', '/pipelines', undefined, ip(2))).status, 200);
      const limited = await h2.req('GET', '/pipelines', undefined, ip(3));
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.deepEqual(await json<ErrorBody>(limited), {
        error: 'Resource quota exceeded: requests per tenant',
        type: 'ResourceQuotaExceeded',
      });
      const anon = { authorization: 'Bearer nope', 'x-forwarded-for': '10.9.9.9' };
      for (let i = 0; i < 3; i++)
        assert.equal((await h2.req('GET', '/pipelines', undefined, anon)).status, 401);
      const flood = await h2.req('GET', '/pipelines', undefined, anon);
      assert.equal(flood.status, 429, 'unauthenticated floods are limited by address');
      assert.match((await json<ErrorBody>(flood)).error, /client address/);
      clock.advance(2000);
      assert.equal((await h2.req('GET', '/pipelines', undefined, ip(4))).status, 200);
    } finally {
      await h2.close();
    }
  });

  test('every mutating call leaves an audit row with actor, action, target, request id, address, outcome', async () => {
    const res = await h.req('POST', '/pipelines', dataProcessing, {
      'x-request-id': 'req-audit-1',
      'x-forwarded-for': '192.0.2.7',
    });
    const p = await json<PipelineResponse>(res);
    await h.req('POST', `/pipelines/${p.id}/cancel`, undefined, { 'x-request-id': 'req-audit-2' });
    await h.req('POST', `/pipelines/${p.id}/cancel`, undefined, { 'x-request-id': 'req-audit-3' });
    await h.req('POST', '/pipelines', dataProcessing, {
      authorization: 'Bearer bad',
      'x-request-id': 'req-audit-4',
    });
    const rows = await h.deps.db
      .selectFrom('audit_log')
      .selectAll()
      .where('request_id', 'in', ['req-audit-1', 'req-audit-2', 'req-audit-3', 'req-audit-4'])
      .orderBy('id')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.request_id, r.action, r.outcome]),
      [
        ['req-audit-1', 'pipeline.create', 'ok'],
        ['req-audit-2', 'pipeline.cancel', 'ok'],
        ['req-audit-3', 'pipeline.cancel', 'InvalidState'],
        ['req-audit-4', 'POST /pipelines', 'Unauthorized'],
      ],
    );
    assert.equal(rows[0]?.actor, 'dev-key');
    assert.equal(rows[0]?.tenant_id, 'default');
    assert.equal(rows[0]?.target, p.id);
    assert.equal(rows[0]?.client_addr, '192.0.2.7');
    assert.equal(rows[3]?.actor, 'anonymous');
  });
});
