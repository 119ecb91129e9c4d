import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import type { toDetail, toEvent } from '../service/present.ts';
import { dataProcessing, finish, startRunning, storeLines } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

type Detail = ReturnType<typeof toDetail>;
type Ev = ReturnType<typeof toEvent>;
interface LogsBody {
  pipeline_id: string;
  status: string;
  attempt: number;
  truncated: boolean;
  attempts: { attempt: number; job_name: string; truncated: boolean; captured: boolean; pods: string[] }[];
  lines: { attempt: number; pod: string; ts: string | null; line: string; truncated?: boolean }[];
}

describe('pipeline lifecycle over HTTP', () => {
  let h: Harness;
  const create = async () => json<PipelineResponse>(await h.req('POST', '/pipelines', dataProcessing));
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  test('GET /pipelines/:id/logs returns stored lines per attempt and pod with timestamps', async () => {
    const p = await create();
    await startRunning(h.deps, p.id);
    await storeLines(h.deps.db, p.id, ['hello', 'world']);
    await finish(h.deps, p.id, 'Succeeded');
    const res = await h.req('GET', `/pipelines/${p.id}/logs`);
    assert.equal(res.status, 200);
    const body = await json<LogsBody>(res);
    assert.equal(body.status, 'Succeeded');
    assert.deepEqual(
      body.lines.map((l) => l.line),
      ['hello', 'world'],
    );
    assert.equal(body.lines[0]?.ts, '2026-01-01T00:00:00.000Z');
    assert.equal(body.lines[0]?.attempt, 1);
    assert.match(body.lines[0]?.pod ?? '', /^pipeline-/);
    assert.equal(body.attempts[0]?.captured, true);
    assert.equal(body.truncated, false);

    const tail = await json<LogsBody>(await h.req('GET', `/pipelines/${p.id}/logs?tail=1`));
    assert.deepEqual(
      tail.lines.map((l) => l.line),
      ['world'],
    );
    const since = await json<LogsBody>(
      await h.req('GET', `/pipelines/${p.id}/logs?since=2026-01-01T00:00:01Z`),
    );
    assert.deepEqual(
      since.lines.map((l) => l.line),
      ['world'],
    );
  });

  test('logs cut by the size cap carry a truncation marker', async () => {
    const p = await create();
    await startRunning(h.deps, p.id);
    await storeLines(h.deps.db, p.id, ['aaaa', 'bbbb', 'cccc'], { capBytes: 9 });
    const body = await json<LogsBody>(await h.req('GET', `/pipelines/${p.id}/logs`));
    assert.equal(body.truncated, true);
    assert.equal(body.attempts[0]?.truncated, true);
    const last = body.lines.at(-1);
    assert.equal(last?.truncated, true);
    assert.match(last?.line ?? '', /truncated/);
  });

  test('cancel: queued -> Cancelled; again -> 409 InvalidState; restart -> new attempt', async () => {
    const p = await create();
    const c1 = await h.req('POST', `/pipelines/${p.id}/cancel`);
    assert.equal(c1.status, 200);
    assert.equal((await json<PipelineResponse>(c1)).status, 'Cancelled');
    const c2 = await h.req('POST', `/pipelines/${p.id}/cancel`);
    assert.equal(c2.status, 409);
    assert.deepEqual(await json<ErrorBody>(c2), {
      error: 'Pipeline in invalid state: Cancelled',
      type: 'InvalidState',
    });

    const r = await h.req('POST', `/pipelines/${p.id}/restart`);
    assert.equal(r.status, 200);
    const restarted = await json<PipelineResponse>(r);
    assert.equal(restarted.status, 'Queued');
    assert.equal(restarted.attempt, 2);
    assert.equal(restarted.job_name, `pipeline-${p.id}-2`);
    assert.deepEqual(restarted.config, p.config);
    const again = await h.req('POST', `/pipelines/${p.id}/restart`);
    assert.equal(again.status, 409);
    assert.equal((await json<ErrorBody>(again)).type, 'InvalidState');
  });

  test('cancel of a running pipeline emits the finished message that cleans up its Job', async () => {
    const p = await create();
    await startRunning(h.deps, p.id);
    const res = await h.req('POST', `/pipelines/${p.id}/cancel`);
    assert.equal(res.status, 200);
    const rows = await h.deps.db
      .selectFrom('outbox')
      .select(['subject', 'payload'])
      .where('subject', '=', h.deps.subjects.pipelineFinished)
      .execute();
    assert.ok(rows.some((r) => (r.payload as { pipelineId: string }).pipelineId === p.id));
    const detail = await json<Detail>(await h.req('GET', `/pipelines/${p.id}`));
    assert.equal(detail.status, 'Cancelled');
    assert.equal(detail.attempts[0]?.status, 'Cancelled');
    assert.ok(detail.timing.started_at !== null && detail.timing.finished_at !== null);
  });

  test('GET /pipelines/:id/events lists every transition with reason and time', async () => {
    const p = await create();
    await startRunning(h.deps, p.id);
    await finish(h.deps, p.id, 'Failed');
    const events = await json<Ev[]>(await h.req('GET', `/pipelines/${p.id}/events`));
    assert.deepEqual(
      events.map((e) => [e.from, e.to]),
      [
        [null, 'Queued'],
        ['Queued', 'Running'],
        ['Running', 'Failed'],
      ],
    );
    assert.equal(events[1]?.reason, 'pod started');
    assert.ok(events.every((e) => Date.parse(e.at) > 0));
  });

  test('Idempotency-Key: same body returns the original (200), a different body is 409', async () => {
    const key = { 'idempotency-key': 'order-4711' };
    const first = await h.req('POST', '/pipelines', dataProcessing, key);
    assert.equal(first.status, 201);
    const original = await json<PipelineResponse>(first);
    const reordered = {
      priority: 'Normal',
      config: { output_path: '/out', input_path: '/in' },
      pipeline_type: 'DataProcessing',
    };
    const second = await h.req('POST', '/pipelines', reordered, key);
    assert.equal(second.status, 200);
    assert.equal((await json<PipelineResponse>(second)).id, original.id);
    const different = await h.req('POST', '/pipelines', { ...dataProcessing, priority: 'High' }, key);
    assert.equal(different.status, 409);
    assert.equal((await json<ErrorBody>(different)).type, 'InvalidState');
  });
});
