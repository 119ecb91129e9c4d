import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { CONSUMERS, PipelineQueued } from '@po/contracts';
import { insertPipeline } from '@po/db';
import { createTestDatabase, newPipelineRow, type TestDatabase } from '@po/db/testing';
import { pino } from 'pino';
import { type MessageMeta, startConsumer, startOutboxRelay } from './index.ts';
import { createTestBus, type TestBus, waitFor } from './testing.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const logger = pino({ level: 'silent' });
let bus: TestBus;
let tdb: TestDatabase;

before(async () => {
  [bus, tdb] = await Promise.all([createTestBus(), createTestDatabase()]);
});
after(async () => {
  await Promise.all([bus.close(), tdb.close()]);
  await provider.shutdown();
});

test('one trace: request span -> outbox -> relay publish -> consumer process -> handler', async () => {
  const handled: { traceId: string | undefined; meta: MessageMeta }[] = [];
  const consumer = startConsumer({
    nc: bus.nc,
    stream: bus.streams.commands,
    consumer: CONSUMERS.scheduler,
    schema: PipelineQueued,
    logger,
    subjects: bus.subjects,
    handler: async (_m, meta) => {
      handled.push({ traceId: trace.getActiveSpan()?.spanContext().traceId, meta });
    },
  });
  const relay = startOutboxRelay({ db: tdb.db, connectionString: tdb.url, nc: bus.nc, logger, pollMs: 50 });
  try {
    const tracer = trace.getTracer('test');
    const root = tracer.startSpan('POST /pipelines', { kind: SpanKind.SERVER });
    const rootCtx = root.spanContext();
    await context.with(trace.setSpan(context.active(), root), () =>
      insertPipeline(tdb.db, bus.subjects, newPipelineRow()),
    );
    root.end();

    const [h] = await waitFor(() => (handled.length > 0 ? handled : undefined), 'message handled');
    assert.equal(h?.traceId, rootCtx.traceId);
    assert.match(h?.meta.headers.traceparent ?? '', new RegExp(`^00-${rootCtx.traceId}-`));

    const spans = await waitFor(() => {
      const s = exporter.getFinishedSpans();
      return s.some((x) => x.name.startsWith('process ')) ? s : undefined;
    }, 'process span');
    const publishSpan = spans.find((s) => s.name === `publish ${bus.subjects.pipelineQueued}`);
    const processSpan = spans.find((s) => s.name === `process ${bus.subjects.pipelineQueued}`);
    assert.ok(publishSpan && processSpan);
    assert.equal(publishSpan.kind, SpanKind.PRODUCER);
    assert.equal(processSpan.kind, SpanKind.CONSUMER);
    assert.equal(publishSpan.spanContext().traceId, rootCtx.traceId);
    assert.equal(publishSpan.parentSpanContext?.spanId, rootCtx.spanId);
    assert.equal(processSpan.spanContext().traceId, rootCtx.traceId);
    assert.equal(processSpan.parentSpanContext?.spanId, publishSpan.spanContext().spanId);
    assert.equal(processSpan.links[0]?.context.spanId, publishSpan.spanContext().spanId);

    // The pipeline row keeps the root for components that learn of it from elsewhere (the watcher).
    const row = await tdb.db.selectFrom('pipelines').select('traceparent').executeTakeFirstOrThrow();
    assert.match(row.traceparent ?? '', new RegExp(`^00-${rootCtx.traceId}-${rootCtx.spanId}-`));
  } finally {
    await relay.stop();
    await consumer.stop();
  }
});
