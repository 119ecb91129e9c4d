import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import { DEFAULT_TEMPLATE_POLICY } from '@po/templates';
import { dataProcessing, finish, startRunning } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

const template = (over: Record<string, unknown> = {}) => ({
  description: 'policy test',
  image: 'registry.io/team/etl:1.2',
  command: ['python3', '-c', 'print(1)'],
  args: [],
  env: {},
  resources: { cpu_request: '100m', memory_request: '64Mi', cpu_limit: '200m', memory_limit: '128Mi' },
  configSchema: { type: 'object', properties: {} },
  backoffLimit: 0,
  defaultTimeoutSeconds: 60,
  ...over,
});

describe('policy that fails early', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({
      policy: { ...DEFAULT_TEMPLATE_POLICY, imageAllowList: ['registry.io/team/etl', 'python:3.11-slim'] },
      quotas: { maxQueued: 1 },
    });
  });
  after(() => h.close());

  test('a template whose image only looks like an allowed repository is refused at registration, naming it', async () => {
    for (const image of ['registry.io/team/etl-evil:1', 'registry.io.evil.com/team/etl:1', 'python:3.12']) {
      const res = await h.req('POST', '/templates', { name: 'sneaky', ...template({ image }) });
      assert.equal(res.status, 400, image);
      const body = await json<ErrorBody>(res);
      assert.equal(body.type, 'InvalidConfig');
      assert.ok(body.error.includes(`'${image}' is not in the image allow-list`), body.error);
    }
    const ok = await h.req('POST', '/templates', { name: 'fine', ...template() });
    assert.equal(ok.status, 201, await ok.clone().text());
    const digest = await h.req(
      'PUT',
      '/templates/fine',
      template({ image: `registry.io/team/etl@sha256:${'c'.repeat(64)}` }),
    );
    assert.equal(digest.status, 200, await digest.clone().text());
  });

  test('parallelism and completions above the policy (default 1) are refused at registration', async () => {
    for (const key of ['parallelism', 'completions']) {
      for (const prop of [
        { type: 'integer', minimum: 1, maximum: 4 },
        { type: 'integer', minimum: 1 },
      ]) {
        const res = await h.req('POST', '/templates', {
          name: 'wide',
          ...template({ configSchema: { type: 'object', properties: { [key]: prop } } }),
        });
        assert.equal(res.status, 400, `${key} ${JSON.stringify(prop)}`);
        assert.match((await json<ErrorBody>(res)).error, new RegExp(`${key}: needs a maximum of at most 1`));
      }
    }
    const one = await h.req('POST', '/templates', {
      name: 'narrow',
      ...template({
        configSchema: {
          type: 'object',
          properties: { parallelism: { type: 'integer', minimum: 1, maximum: 1 } },
        },
      }),
    });
    assert.equal(one.status, 201, await one.clone().text());
  });

  test('restart honours max_queued: 429 with Retry-After when the queue is full', async () => {
    const first = await json<PipelineResponse>(await h.req('POST', '/pipelines', dataProcessing));
    await startRunning(h.deps, first.id);
    await finish(h.deps, first.id, 'Failed');
    const waiting = await h.req('POST', '/pipelines', dataProcessing);
    assert.equal(waiting.status, 201);
    const restart = await h.req('POST', `/pipelines/${first.id}/restart`);
    assert.equal(restart.status, 429);
    assert.equal((await json<ErrorBody>(restart)).type, 'ResourceQuotaExceeded');
    assert.ok(Number(restart.headers.get('retry-after')) >= 1);
    const after = await json<PipelineResponse>(await h.req('GET', `/pipelines/${first.id}`));
    assert.equal(after.status, 'Failed');
  });
});

describe('the image allow-list at create time', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({
      policy: { ...DEFAULT_TEMPLATE_POLICY, imageAllowList: ['registry.io/team/*'] },
    });
  });
  after(() => h.close());

  test('a pipeline whose template image is outside the allow-list is refused with 400, not queued', async () => {
    const res = await h.req('POST', '/pipelines', dataProcessing);
    assert.equal(res.status, 400);
    const body = await json<ErrorBody>(res);
    assert.equal(body.type, 'InvalidConfig');
    assert.ok(body.error.includes("'python:3.11-slim' is not in the image allow-list"), body.error);
    assert.deepEqual(await json<PipelineResponse[]>(await h.req('GET', '/pipelines')), []);
  });
});

describe('linear-time template patterns', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('the ReDoS template is answered at once; a pattern RE2 cannot run is refused at registration', async () => {
    const schema = (pattern: string) => ({
      type: 'object',
      properties: { word: { type: 'string', pattern } },
      required: ['word'],
    });
    const reg = await h.req('POST', '/templates', {
      name: 'redos',
      ...template({ image: 'python:3.11-slim', env: { WORD: '{{word}}' }, configSchema: schema('^(a+)+$') }),
    });
    assert.equal(reg.status, 201, await reg.clone().text());
    // The backtracking engine froze the gateway 2.3 s for 27 a's and a '!', doubling with each 'a'.
    for (const word of [`${'a'.repeat(27)}!`, `${'a'.repeat(40)}!`]) {
      const cpu = process.cpuUsage();
      const res = await h.req('POST', '/pipelines', {
        pipeline_type: { Custom: { template: 'redos' } },
        config: { word },
        priority: 'Normal',
      });
      const used = process.cpuUsage(cpu);
      assert.equal(res.status, 400);
      assert.match((await json<ErrorBody>(res)).error, /config\.word: must match pattern/);
      assert.ok(
        used.user + used.system < 1_000_000,
        `${word.length} chars: ${used.user + used.system} µs of CPU`,
      );
    }
    const backref = await h.req('POST', '/templates', {
      name: 'backref',
      ...template({
        image: 'python:3.11-slim',
        env: { WORD: '{{word}}' },
        configSchema: schema('^(a+)\\1$'),
      }),
    });
    assert.equal(backref.status, 400);
    const body = await json<ErrorBody>(backref);
    assert.equal(body.type, 'InvalidConfig');
    assert.match(
      body.error,
      /configSchema\.properties\.word\.pattern: not supported by the linear-time \(RE2\) engine/,
    );
  });
});
