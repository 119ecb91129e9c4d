import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { context as otelContext, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { endSpan, inPipeline, inPipelineTrace, markPipelineOutcome } from './pipeline-context.ts';
import { startTracing } from './tracing.ts';

// The SDK registers global providers: one per process.
const exporter = new InMemorySpanExporter();
const tracing = startTracing({ service: 'test', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
after(() => tracing.shutdown());

test('pipeline attributes reach every span started under them; a request continues the pipeline trace, linked', async () => {
  exporter.reset();
  {
    const tracer = trace.getTracer('t');
    // The pipeline's root, as stored at create time.
    const root = tracer.startSpan('POST /pipelines');
    const c: Record<string, string> = {};
    propagation.inject(trace.setSpan(otelContext.active(), root), c);
    root.end();
    await tracer.startActiveSpan('POST /pipelines/:id/cancel', async (request) => {
      await inPipelineTrace('cancel pipeline', c.traceparent, { 'po.pipeline.id': 'p1' }, async () => {
        tracer.startSpan('pg.query').end();
        inPipeline({ 'po.attempt': 1 }, () => tracer.startSpan('DELETE').end());
      });
      request.end();
    });
    const spans = exporter.getFinishedSpans();
    const byName = (n: string) => spans.find((s) => s.name === n);
    const work = byName('cancel pipeline');
    const request = byName('POST /pipelines/:id/cancel');
    assert.equal(work?.spanContext().traceId, root.spanContext().traceId);
    assert.equal(work?.parentSpanContext?.spanId, root.spanContext().spanId);
    assert.notEqual(request?.spanContext().traceId, root.spanContext().traceId);
    assert.deepEqual(
      request?.links.map((l) => l.context.spanId),
      [work?.spanContext().spanId],
    );
    assert.deepEqual(
      work?.links.map((l) => l.context.spanId),
      [request?.spanContext().spanId],
    );
    assert.equal(byName('pg.query')?.attributes['po.pipeline.id'], 'p1');
    assert.equal(byName('pg.query')?.spanContext().traceId, root.spanContext().traceId);
    assert.deepEqual(
      [byName('DELETE')?.attributes['po.pipeline.id'], byName('DELETE')?.attributes['po.attempt']],
      ['p1', 1],
    );
  }
});

test('a pipeline ending Failed or Timeout marks the span as an error with the reason; others do not', async () => {
  exporter.reset();
  {
    const tracer = trace.getTracer('t');
    for (const [status, reason] of [
      ['Failed', 'exit code 1'],
      ['Timeout', 'DeadlineExceeded'],
      ['Succeeded', null],
      ['Cancelled', 'cancelled by dev'],
    ] as const) {
      const span = tracer.startSpan(status);
      markPipelineOutcome(span, status, reason);
      span.end();
    }
    const got = exporter.getFinishedSpans().map((s) => [s.name, s.status.code, s.status.message ?? '']);
    assert.deepEqual(got, [
      ['Failed', SpanStatusCode.ERROR, 'exit code 1'],
      ['Timeout', SpanStatusCode.ERROR, 'DeadlineExceeded'],
      ['Succeeded', SpanStatusCode.UNSET, ''],
      ['Cancelled', SpanStatusCode.UNSET, ''],
    ]);
  }
});

test('endSpan ends the span either way; a throw is recorded on it as an error and rethrown', async () => {
  exporter.reset();
  const tracer = trace.getTracer('t');
  assert.equal(await endSpan(tracer.startSpan('ok'), async () => 42), 42);
  await assert.rejects(
    endSpan(tracer.startSpan('fails'), async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  const spans = exporter.getFinishedSpans();
  const ok = spans.find((s) => s.name === 'ok');
  const fails = spans.find((s) => s.name === 'fails');
  assert.equal(ok?.status.code, SpanStatusCode.UNSET);
  assert.equal(fails?.status.code, SpanStatusCode.ERROR);
  assert.deepEqual(
    fails?.events.map((e) => [e.name, e.attributes?.['exception.message']]),
    [['exception', 'boom']],
  );
});
