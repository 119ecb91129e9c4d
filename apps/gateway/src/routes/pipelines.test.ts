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

  test('concurrent creates (one batched insert) each get their own answer: 201, 200 or 409', async () => {
    const key = (k: string) => ({ 'idempotency-key': `batch-${k}` });
    const original = await h.req('POST', '/pipelines', dp, key('taken'));
    assert.equal(original.status, 201);
    const originalId = (await json<PipelineResponse>(original)).id;
    const other = { ...dp, priority: 'High' };
    const requests: [unknown, Record<string, string>, number][] = [
      [dp, {}, 201],
      [dp, key('taken'), 200], // same key and body as before the batch
      [other, key('taken'), 409], // same key, different body
      [dp, key('new'), 201],
      [dp, key('new'), 200], // same key as a request of this batch
      [{ ...dp, config: { input_path: '/in' } }, {}, 400], // refused before the insert
      [other, {}, 201],
    ];
    const responses = await Promise.all(
      requests.map(([body, headers]) => h.req('POST', '/pipelines', body, headers)),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      requests.map(([, , status]) => status),
    );
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>));
    assert.equal(bodies[1]?.id, originalId);
    assert.equal(bodies[2]?.type, 'InvalidState');
    assert.equal(bodies[4]?.id, bodies[3]?.id);
    assert.equal(bodies[6]?.priority, 'High');
    const created = [bodies[0], bodies[3], bodies[6]].map((b) => String(b?.id));
    assert.equal(new Set(created).size, 3);
    const events = await h.deps.db
      .selectFrom('pipeline_events')
      .select('pipeline_id')
      .where('pipeline_id', 'in', created)
      .execute();
    assert.equal(events.length, 3);
  });
});
