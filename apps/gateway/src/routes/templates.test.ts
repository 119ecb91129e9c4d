import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { type ErrorBody, PipelineResponse } from '@po/contracts';
import { createHarness, type Harness, json } from '../testing/harness.ts';
import type { toTemplateView } from './templates.ts';

type View = ReturnType<typeof toTemplateView>;

const customTemplate = {
  name: 'word-count',
  description: 'counts words',
  image: 'python:3.11-slim',
  command: ['python3', '-c', 'import os; print(len(os.environ["TEXT"].split()))', '{{mode}}'],
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

describe('templates, OpenAPI and the seed examples', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('GET /templates lists the built-ins with schema and defaults; GET /templates/:name', async () => {
    const list = await json<View[]>(await h.req('GET', '/templates'));
    assert.deepEqual(
      list.map((t) => t.name),
      ['data-processing', 'model-training', 'etl', 'backup'],
    );
    const dp = await json<View>(await h.req('GET', '/templates/data-processing'));
    assert.equal(dp.image, 'python:3.11-slim');
    assert.deepEqual(dp.defaults, { batch_size: 1000 });
    assert.ok('input_path' in (dp.config_schema.properties as object));
    const missing = await h.req('GET', '/templates/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(await json<ErrorBody>(missing), { error: 'Template not found', type: 'NotFound' });
  });

  test('custom templates: register (admin), run as Custom, version with PUT, delete', async () => {
    const submitter = await h.key('default', 'submitter');
    const refused = await h.req('POST', '/templates', customTemplate, {
      authorization: `Bearer ${submitter}`,
    });
    assert.equal(refused.status, 403);
    const created = await h.req('POST', '/templates', customTemplate);
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal((await json<View>(created)).version, 1);
    assert.equal((await h.req('POST', '/templates', customTemplate)).status, 409);

    const body = {
      pipeline_type: { Custom: { template: 'word-count' } },
      config: { text: 'a b c' },
      priority: 'Low',
    };
    const run = await h.req('POST', '/pipelines', body);
    assert.equal(run.status, 201);
    const p = await json<PipelineResponse>(run);
    assert.deepEqual(p.config, { text: 'a b c', mode: 'fast' });
    assert.equal(p.timeout_seconds, 60);
    const row = await h.deps.db
      .selectFrom('pipelines')
      .selectAll()
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row.job.command, [...customTemplate.command.slice(0, 3), 'fast']);
    assert.equal(row.job.env.TEXT, 'a b c');
    const bad = await h.req('POST', '/pipelines', { ...body, config: { text: 'x', mode: 'slow; rm -rf /' } });
    assert.equal(bad.status, 400);
    assert.match((await json<ErrorBody>(bad)).error, /config\.mode/);

    const v2 = await h.req('PUT', '/templates/word-count', { ...customTemplate, description: 'v2' });
    assert.equal(v2.status, 200);
    assert.equal((await json<View>(v2)).version, 2);
    assert.equal((await json<View>(await h.req('GET', '/templates/word-count'))).description, 'v2');
    assert.equal((await h.req('DELETE', '/templates/word-count')).status, 204);
    assert.equal((await h.req('GET', '/templates/word-count')).status, 404);
    assert.equal((await h.req('POST', '/pipelines', body)).status, 400);
    assert.equal((await h.req('DELETE', '/templates/etl')).status, 409, 'built-ins are read-only');
  });

  test('template versions: each one readable (retired too); a pipeline keeps the version it ran with, and a restart reuses it', async () => {
    type Version = View & { created_at: string | null; retired_at: string | null };
    const v1 = { ...customTemplate, name: 'versioned', description: 'v1' };
    assert.equal((await h.req('POST', '/templates', v1)).status, 201);
    const run = await h.req('POST', '/pipelines', {
      pipeline_type: { Custom: { template: 'versioned' } },
      config: { text: 'a b' },
      priority: 'Low',
    });
    assert.equal(run.status, 201, await run.clone().text());
    const p = await json<PipelineResponse>(run);
    const v2Command = ['python3', '-c', 'print("v2")', '{{mode}}'];
    const put = await h.req('PUT', '/templates/versioned', { ...v1, description: 'v2', command: v2Command });
    assert.equal(put.status, 200);

    const list = await json<Version[]>(await h.req('GET', '/templates/versioned/versions'));
    assert.deepEqual(
      list.map((v) => [v.version, v.description, v.retired_at]),
      [
        [2, 'v2', null],
        [1, 'v1', null],
      ],
    );
    assert.ok(list.every((v) => v.created_at !== null && !Number.isNaN(Date.parse(v.created_at))));
    const one = await json<Version>(await h.req('GET', '/templates/versioned/versions/1'));
    assert.equal(one.description, 'v1');
    assert.equal((await h.req('GET', '/templates/versioned/versions/3')).status, 404);
    assert.equal((await h.req('GET', '/templates/versioned/versions/abc')).status, 400);
    assert.equal((await h.req('GET', '/templates/nope/versions')).status, 404);
    const builtin = await json<Version[]>(await h.req('GET', '/templates/etl/versions'));
    assert.deepEqual(
      builtin.map((v) => [v.version, v.builtin, v.created_at]),
      [[1, true, null]],
    );
    // Another tenant sees none of them.
    const other = { authorization: `Bearer ${await h.key('gamma', 'viewer')}` };
    assert.equal((await h.req('GET', '/templates/versioned/versions', undefined, other)).status, 404);

    // The pipeline made with v1 ends; its restart runs v1 again, not the current v2.
    assert.equal((await h.req('POST', `/pipelines/${p.id}/cancel`)).status, 200);
    const restarted = await h.req('POST', `/pipelines/${p.id}/restart`);
    assert.equal(restarted.status, 200, await restarted.clone().text());
    const detail = await json<{ template_version: number; attempt: number }>(
      await h.req('GET', `/pipelines/${p.id}`),
    );
    assert.deepEqual([detail.template_version, detail.attempt], [1, 2]);
    const row = await h.deps.db
      .selectFrom('pipelines')
      .select(['job', 'template_version'])
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row.job.command, [...customTemplate.command.slice(0, 3), 'fast'], "v1's command");

    // Retired: no longer current, still readable as history.
    assert.equal((await h.req('DELETE', '/templates/versioned')).status, 204);
    assert.equal((await h.req('GET', '/templates/versioned')).status, 404);
    const retired = await json<Version[]>(await h.req('GET', '/templates/versioned/versions'));
    assert.ok(retired.length === 2 && retired.every((v) => v.retired_at !== null));
  });

  test('two tenants may each register a template of the same name, each seeing only its own', async () => {
    const alpha = { authorization: `Bearer ${await h.key('alpha', 'admin')}` };
    const beta = { authorization: `Bearer ${await h.key('beta', 'admin')}` };
    const a = await h.req(
      'POST',
      '/templates',
      { ...customTemplate, name: 'shared-name', description: 'alpha' },
      alpha,
    );
    assert.equal(a.status, 201, await a.clone().text());
    const b = await h.req(
      'POST',
      '/templates',
      { ...customTemplate, name: 'shared-name', description: 'beta' },
      beta,
    );
    assert.equal(b.status, 201, await b.clone().text());
    assert.equal((await json<View>(b)).version, 1);
    for (const [who, description] of [
      [alpha, 'alpha'],
      [beta, 'beta'],
    ] as const) {
      const got = await json<View>(await h.req('GET', '/templates/shared-name', undefined, who));
      assert.equal(got.description, description);
    }
  });

  test('concurrent registrations of one name: one version each, or 409, never a 500', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        h.req('PUT', '/templates/raced', { ...customTemplate, name: 'raced', description: `r${i}` }),
      ),
    );
    const codes = results.map((r) => r.status);
    assert.ok(
      codes.every((c) => c === 200 || c === 201 || c === 409),
      `statuses ${codes.join(',')}`,
    );
    const ok = codes.filter((c) => c !== 409).length;
    const versions = await h.deps.db
      .selectFrom('templates')
      .select('version')
      .where('name', '=', 'raced')
      .orderBy('version')
      .execute();
    assert.deepEqual(
      versions.map((v) => v.version),
      Array.from({ length: ok }, (_, i) => i + 1),
    );
  });

  test('unsafe custom templates are refused with InvalidConfig', async () => {
    const unsafe = [
      { ...customTemplate, name: 'free-arg', command: ['sh', '-c', 'echo {{text}}'] },
      {
        ...customTemplate,
        name: 'loose-pattern',
        command: ['echo', '{{text}}'],
        configSchema: { type: 'object', properties: { text: { type: 'string', pattern: '.*' } } },
      },
      { ...customTemplate, name: 'preload', env: { LD_PRELOAD: '/tmp/x.so' } },
      { ...customTemplate, name: 'extra-field', privileged: true },
    ];
    for (const t of unsafe) {
      const res = await h.req('POST', '/templates', t);
      assert.equal(res.status, 400, t.name);
      assert.equal((await json<ErrorBody>(res)).type, 'InvalidConfig');
    }
  });

  test('every example body of the seed is accepted verbatim and answered in the seed shape', async () => {
    const examples = [
      {
        pipeline_type: 'DataProcessing',
        config: { input_path: 's3://bucket/in.csv', output_path: 's3://bucket/out/', batch_size: 1000 },
        priority: 'Normal',
        timeout_seconds: null,
      },
      {
        pipeline_type: 'ModelTraining',
        config: { dataset_path: '/data/train.csv' },
        priority: 'High',
        timeout_seconds: 7200,
      },
      { pipeline_type: 'ETL', config: { source: '/a.csv', destination: '/b.csv' }, priority: 'Low' },
      {
        pipeline_type: 'Backup',
        config: { source_path: '/var/data', destination_path: '/backup/data' },
        priority: 'Critical',
      },
    ];
    for (const body of examples) {
      const res = await h.req('POST', '/pipelines', body);
      assert.equal(res.status, 201, JSON.stringify(body));
      const p = PipelineResponse.parse(await res.json());
      assert.deepEqual(Object.keys(p).slice(0, 6), [
        'id',
        'job_name',
        'status',
        'created_at',
        'updated_at',
        'config',
      ]);
      const got = PipelineResponse.parse(await (await h.req('GET', `/pipelines/${p.id}`)).json());
      assert.equal(got.id, p.id);
    }
    const list = await h.req('GET', '/pipelines');
    assert.ok(Array.isArray(await list.json()), 'GET /pipelines is a bare array');
    const health = await h.app.request('/health');
    assert.equal(health.status, 200);
  });

  test('GET /openapi.json is a valid OpenAPI 3 document listing every endpoint', async () => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await h.app.request('/openapi.json'),
    );
    const expected: [string, string][] = [
      ['/pipelines', 'post'],
      ['/pipelines', 'get'],
      ['/pipelines/{id}', 'get'],
      ['/pipelines/{id}/cancel', 'post'],
      ['/pipelines/{id}/restart', 'post'],
      ['/pipelines/{id}/logs', 'get'],
      ['/pipelines/{id}/events', 'get'],
      ['/templates', 'get'],
      ['/templates', 'post'],
      ['/templates/{name}', 'get'],
      ['/templates/{name}', 'put'],
      ['/templates/{name}', 'delete'],
      ['/keys', 'post'],
      ['/keys', 'get'],
      ['/keys/{id}', 'delete'],
      ['/whoami', 'get'],
      ['/health', 'get'],
      ['/ready', 'get'],
      ['/dead-letters', 'get'],
      ['/quota', 'get'],
      ['/quotas/{tenant}', 'put'],
    ];
    for (const [path, method] of expected) assert.ok(doc.paths[path]?.[method], `${method} ${path}`);
    await SwaggerParser.validate(structuredClone(doc) as never);
  });
});
