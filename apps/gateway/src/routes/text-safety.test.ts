import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import { dataProcessing } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

const uuid = '00000000-0000-4000-8000-000000000000';

describe('strings Postgres cannot store are refused naming the field; data keeps its line breaks', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  const pipeline = (config: Record<string, unknown>) => ({ ...dataProcessing, config });

  test('each input is a 400 InvalidConfig that names where the bad character is', async () => {
    const cases: [string, string, string | undefined, Record<string, string>, RegExp][] = [
      [
        'POST',
        '/pipelines',
        JSON.stringify(pipeline({ input_path: '/a\u0000', output_path: '/o' })),
        {},
        /config\.input_path: contains a NUL/,
      ],
      [
        'POST',
        '/pipelines',
        '{"pipeline_type":"ETL","priority":"Low","config":{"s":"\\ud800"}}',
        {},
        /config\.s: contains a lone surrogate \(U\+D800\)/,
      ],
      [
        'POST',
        '/pipelines',
        JSON.stringify(pipeline({ 'k\u001b': 1 })),
        {},
        /config: the key "k\\u001b" contains a control character/,
      ],
      [
        'POST',
        '/pipelines',
        JSON.stringify(dataProcessing),
        { 'idempotency-key': 'a\u00ffb' },
        /idempotency-key/,
      ],
      [
        'POST',
        '/templates',
        JSON.stringify({ name: 'x', description: 'a\u0000', image: 'busybox' }),
        {},
        /description: contains a NUL/,
      ],
      [
        'POST',
        '/keys',
        JSON.stringify({ name: 'k\u0085', role: 'viewer' }),
        {},
        /name: contains a control character \(U\+0085\)/,
      ],
      ['GET', '/pipelines?template=a%00', undefined, {}, /template: contains a NUL/],
      ['GET', '/templates/a%00b', undefined, {}, /name: contains a NUL/],
      ['POST', '/pipelines/x%00y/cancel', undefined, {}, /id: contains a NUL/],
      ['DELETE', '/keys/%01', undefined, {}, /id: contains a control character/],
    ];
    for (const [method, path, body, headers, want] of cases) {
      const res = await h.req(method, path, body, headers);
      const got = await json<ErrorBody>(res);
      assert.equal(res.status, 400, `${method} ${path}: ${JSON.stringify(got)}`);
      assert.equal(got.type, 'InvalidConfig');
      assert.match(got.error, want, `${method} ${path}`);
    }
  });

  test('U+2028, U+2029, tab and newlines in a config value are data: stored and returned as sent', async () => {
    const value = 'a\u2028b\u2029c\td\ne\r';
    const res = await h.req('POST', '/pipelines', pipeline({ input_path: value, output_path: '/o' }));
    assert.equal(res.status, 201);
    const p = await json<PipelineResponse>(res);
    assert.equal(p.config.input_path, value);
    const again = await json<PipelineResponse>(await h.req('GET', `/pipelines/${p.id}`));
    assert.equal(again.config.input_path, value);
  });

  test('numbers past what the columns hold are 400s, not 500s', async () => {
    const big = Buffer.from(`9223372036854775808.${uuid}`).toString('base64url');
    for (const path of [
      `/pipelines?cursor=${big}`,
      '/pipelines?limit=1000001',
      `/pipelines/${uuid}/logs?attempt=2147483648`,
      `/pipelines/${uuid}/logs?tail=100001`,
    ]) {
      const res = await h.req('GET', path);
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      assert.ok(['InvalidConfig', 'NotFound'].includes((await json<ErrorBody>(res)).type));
    }
    // A Last-Event-ID past 2^63 is ignored (the follower starts from the beginning): see the fuzz
    // suite's follower case, which reads such a stream to its end event.
  });
});
