/** What an SRE reads of the gateway: a log line per request and per change, and each pipeline's trace. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTracing } from '@po/telemetry';
import { dataProcessing, startRunning } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

const exporter = new InMemorySpanExporter();
const tracing = startTracing({
  service: 'gateway-test',
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const TRACE_UI = 'http://localhost:16686/';

describe('gateway observability', () => {
  let h: Harness;
  const lines: Record<string, unknown>[] = [];
  const record = (obj: object, msg?: string) => void lines.push({ ...obj, msg });
  before(async () => {
    h = await createHarness({
      logger: { debug: record, info: record, warn: record, error: record },
      traceUiUrl: TRACE_UI,
    });
  });
  after(async () => {
    await h.close();
    await tracing.shutdown();
  });

  test('GET /pipelines/:id names the pipeline trace and links to it in the trace UI', async () => {
    const created = await json<{ id: string }>(await h.req('POST', '/pipelines', dataProcessing));
    const detail = await json<{ trace_id: string; trace_url?: string }>(
      await h.req('GET', `/pipelines/${created.id}`),
    );
    assert.match(detail.trace_id, /^[0-9a-f]{32}$/);
    assert.equal(detail.trace_url, `http://localhost:16686/trace/${detail.trace_id}`);
    // The caller's trace is the pipeline's: its create request is the trace's root.
    const caller = '4bf92f3577b34da6a3ce929d0e0e4736';
    const joined = await json<{ id: string }>(
      await h.req('POST', '/pipelines', dataProcessing, { traceparent: `00-${caller}-00f067aa0ba902b7-01` }),
    );
    const d2 = await json<{ trace_id: string }>(await h.req('GET', `/pipelines/${joined.id}`));
    assert.equal(d2.trace_id, caller);
    const doc = await json<{
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>(await h.req('GET', '/openapi.json'));
    assert.ok(doc.components.schemas.PipelineDetail?.properties.trace_id);
    assert.ok(doc.components.schemas.PipelineDetail?.properties.trace_url);
  });

  test('server spans follow the HTTP conventions; a 4xx is not a server error, a 5xx is', async () => {
    // The app's database fails every statement: an unexpected error, answered 500.
    const down = await createHarness({
      appDb: (db) =>
        db.withPlugin({
          transformQuery: () => {
            throw new Error('database down');
          },
          transformResult: async (a) => a.result,
        }),
    });
    try {
      exporter.reset();
      const missing = '00000000-0000-4000-8000-000000000000';
      assert.equal((await h.req('GET', `/pipelines/${missing}?x=1`)).status, 404);
      assert.equal((await h.req('POST', '/pipelines', { nope: true })).status, 400);
      assert.equal((await down.req('GET', '/pipelines')).status, 500);
      const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
      assert.deepEqual(
        spans.map((s) => [s.name, s.attributes['http.response.status_code'], s.status.code]),
        [
          ['GET /pipelines/:id', 404, SpanStatusCode.UNSET],
          ['POST /pipelines', 400, SpanStatusCode.UNSET],
          ['GET /pipelines', 500, SpanStatusCode.ERROR],
        ],
      );
      const [get] = spans;
      assert.equal(get?.attributes['url.path'], `/pipelines/${missing}`);
      assert.equal(get?.attributes['url.scheme'], 'http');
      assert.equal(get?.attributes['url.query'], 'x=1');
      assert.equal(get?.attributes['http.route'], '/pipelines/:id');
      assert.equal(get?.attributes['http.request.method'], 'GET');
      assert.equal(get?.attributes['url.full'], undefined);
      assert.equal(get?.attributes['po.tenant'], 'default');
      assert.equal(get?.attributes['po.pipeline.id'], missing);
    } finally {
      await down.close();
    }
  });

  test('one JSON line per request and per change, with the shared field names and no credential', async () => {
    lines.length = 0;
    const created = await json<{ id: string }>(await h.req('POST', '/pipelines', dataProcessing));
    await startRunning(h.deps, created.id);
    assert.equal((await h.req('POST', `/pipelines/${created.id}/cancel`)).status, 200);
    assert.equal((await h.req('GET', '/pipelines/00000000-0000-4000-8000-000000000000')).status, 404);
    const { trace_id } = await json<{ trace_id: string }>(await h.req('GET', `/pipelines/${created.id}`));

    const requests = lines.filter((l) => l.msg === 'request');
    assert.deepEqual(
      requests.map((l) => [l.method, l.route, l.status]),
      [
        ['POST', '/pipelines', 201],
        ['POST', '/pipelines/:id/cancel', 200],
        ['GET', '/pipelines/:id', 404],
        ['GET', '/pipelines/:id', 200],
      ],
    );
    for (const l of requests) {
      assert.equal(l.tenant, 'default');
      assert.equal(typeof l.duration_ms, 'number');
      assert.match(String(l.request_id), /^[0-9a-f-]{36}$/);
      assert.match(String(l.trace_id), /^[0-9a-f]{32}$/);
    }
    const changes = lines.filter((l) => l.msg === 'pipeline transition');
    assert.deepEqual(
      changes.map((l) => [l.pipeline_id, l.tenant, l.attempt, l.to, l.trace_id]),
      [
        [created.id, 'default', 1, 'Queued', trace_id],
        [created.id, 'default', 1, 'Cancelled', trace_id],
      ],
    );
    const all = JSON.stringify(lines);
    assert.doesNotMatch(all, new RegExp(h.devKey));
    assert.doesNotMatch(all, /pipelineId|authorization/i);
  });
});
