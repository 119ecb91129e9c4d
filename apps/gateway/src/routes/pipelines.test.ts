import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import type { toDetail } from '../service/present.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

type Detail = ReturnType<typeof toDetail>;

const dp = {
  pipeline_type: 'DataProcessing',
  config: { input_path: '/in', output_path: '/out' },
  priority: 'Normal',
};

describe('pipelines', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('POST /pipelines creates a Queued pipeline with defaults applied (201, seed shape)', async () => {
    const res = await h.req('POST', '/pipelines', dp);
    assert.equal(res.status, 201);
    const body = await json<PipelineResponse>(res);
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(body.status, 'Queued');
    assert.equal(body.job_name, `pipeline-${body.id}-1`);
    assert.equal(body.config.input_path, '/in');
    assert.ok('batch_size' in body.config, 'schema default applied');
    assert.ok(Date.parse(body.created_at) > 0 && Date.parse(body.updated_at) > 0);
    const row = await h.deps.db
      .selectFrom('pipelines')
      .selectAll()
      .where('id', '=', body.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.template, 'data-processing');
    assert.equal(row.namespace, 'pipelines');
    assert.equal(row.priority_rank, 1);
    const outbox = await h.deps.db.selectFrom('outbox').select('subject').execute();
    assert.ok(
      outbox.some((o) => o.subject === h.deps.subjects.pipelineQueued),
      'queued message in the outbox',
    );
  });

  test('GET /pipelines/:id returns the pipeline, attempts and timing; unknown id is NotFound', async () => {
    const created = await json<PipelineResponse>(await h.req('POST', '/pipelines', dp));
    const res = await h.req('GET', `/pipelines/${created.id}`);
    assert.equal(res.status, 200);
    const body = await json<Detail>(res);
    assert.equal(body.id, created.id);
    assert.deepEqual(body.attempts, []);
    assert.equal(body.timing.created_at, created.created_at);
    const missing = await h.req('GET', '/pipelines/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'Pipeline not found', type: 'NotFound' });
    assert.equal((await h.req('GET', '/pipelines/not-a-uuid')).status, 404);
  });

  test('invalid bodies are 400 InvalidConfig naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...dp, config: { input_path: '/in' } }, /output_path/],
      [{ ...dp, priority: 'Urgent' }, /priority/],
      [{ ...dp, extra: 1 }, /extra/],
      [{ ...dp, pipeline_type: 'Nope' }, /pipeline_type/],
      [{ ...dp, pipeline_type: { Custom: { template: 'missing' } } }, /unknown template 'missing'/],
      [{ ...dp, timeout_seconds: -5 }, /timeout_seconds/],
      ['{not json', /JSON/i],
    ];
    for (const [body, re] of cases) {
      const res = await h.req('POST', '/pipelines', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const e = await json<ErrorBody>(res);
      assert.equal(e.type, 'InvalidConfig');
      assert.match(e.error, re);
    }
  });
});
