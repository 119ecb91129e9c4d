import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PipelineResponse } from '@po/contracts';
import { sql } from 'kysely';
import { dataProcessing } from '../../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../../testing/harness.ts';

describe('audit that cannot be lost', () => {
  let h: Harness;
  const rowsOf = (ids: string[]) =>
    h.deps.db
      .selectFrom('audit_log')
      .select(['request_id', 'action', 'target', 'outcome', 'status', 'actor'])
      .where('request_id', 'in', ids)
      .orderBy('request_id')
      .execute();
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('unauthenticated junk (a NUL in the path) at the same moment loses no other call its row', async () => {
    const legit = Array.from({ length: 5 }, (_, i) =>
      h.req('POST', '/pipelines', dataProcessing, { 'x-request-id': `legit-${i}` }),
    );
    const junk = Array.from({ length: 5 }, (_, i) =>
      h.app.request('/x%00y', { method: 'POST', headers: { 'x-request-id': `junk-${i}` } }),
    );
    const answers = await Promise.all([...legit, ...junk]);
    assert.deepEqual(
      answers.map((r) => r.status),
      [201, 201, 201, 201, 201, 401, 401, 401, 401, 401],
    );
    const rows = await rowsOf([
      ...[0, 1, 2, 3, 4].map((i) => `legit-${i}`),
      ...[0, 1, 2, 3, 4].map((i) => `junk-${i}`),
    ]);
    assert.equal(rows.length, 10);
    for (const r of rows.filter((r) => r.request_id?.startsWith('legit'))) {
      assert.deepEqual([r.action, r.outcome, r.status], ['pipeline.create', 'ok', 201]);
    }
    for (const r of rows.filter((r) => r.request_id?.startsWith('junk'))) {
      assert.deepEqual(
        [r.action, r.outcome, r.status, r.actor],
        ['POST /x\\u0000y', 'Unauthorized', 401, 'anonymous'],
      );
    }
  });

  test('each row carries the real outcome: malformed JSON is InvalidConfig/400, not Internal', async () => {
    await h.req('POST', '/pipelines', '{"pipeline_type":', { 'x-request-id': 'malformed' });
    await h.req(
      'POST',
      '/pipelines',
      { ...dataProcessing, priority: 'Urgent' },
      { 'x-request-id': 'invalid' },
    );
    const created = await json<PipelineResponse>(
      await h.req('POST', '/pipelines', dataProcessing, {
        'x-request-id': 'created',
        'idempotency-key': 'k1',
      }),
    );
    await h.req('POST', '/pipelines', dataProcessing, {
      'x-request-id': 'replayed',
      'idempotency-key': 'k1',
    });
    await h.req('POST', `/pipelines/${created.id}/restart`, undefined, { 'x-request-id': 'refused' });
    assert.deepEqual(
      (await rowsOf(['malformed', 'invalid', 'created', 'replayed', 'refused'])).map((r) => [
        r.request_id,
        r.outcome,
        r.status,
        r.target,
      ]),
      [
        ['created', 'ok', 201, created.id],
        ['invalid', 'InvalidConfig', 400, null],
        ['malformed', 'InvalidConfig', 400, null],
        ['refused', 'InvalidState', 409, created.id],
        ['replayed', 'ok', 200, created.id],
      ],
    );
  });

  test('a change whose audit row cannot be written does not happen (same transaction)', async () => {
    const p = await json<PipelineResponse>(await h.req('POST', '/pipelines', dataProcessing));
    await sql`alter table audit_log add constraint refuse_all check (false) not valid`.execute(h.deps.db);
    try {
      const before = await h.deps.db.selectFrom('pipelines').select('id').execute();
      const create = await h.req('POST', '/pipelines', dataProcessing);
      assert.equal(create.status, 500);
      const cancel = await h.req('POST', `/pipelines/${p.id}/cancel`);
      assert.equal(cancel.status, 500);
      const quota = await h.req('PUT', '/quotas/acme', { max_running: 1 });
      assert.equal(quota.status, 500);
      assert.equal((await h.deps.db.selectFrom('pipelines').select('id').execute()).length, before.length);
      const still = await json<PipelineResponse>(await h.req('GET', `/pipelines/${p.id}`));
      assert.equal(still.status, 'Queued');
      const q = await h.deps.db
        .selectFrom('tenant_quotas')
        .selectAll()
        .where('tenant_id', '=', 'acme')
        .execute();
      assert.deepEqual(q, []);
    } finally {
      await sql`alter table audit_log drop constraint refuse_all`.execute(h.deps.db);
    }
  });
});
