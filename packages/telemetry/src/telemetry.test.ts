import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context as otelContext, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { createLogger } from './logger.ts';
import { startTracing } from './tracing.ts';

test('spans get trace ids that propagate as W3C traceparent, and log lines carry them', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ service: 'test', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', destination: { write: (l: string) => void lines.push(l) } });
  try {
    const { traceId, carrier } = trace.getTracer('t').startActiveSpan('work', (span) => {
      const c: Record<string, string> = {};
      propagation.inject(otelContext.active(), c);
      logger.info('inside');
      span.end();
      return { traceId: span.spanContext().traceId, carrier: c };
    });
    logger.info('outside');
    assert.match(carrier.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(inside?.trace_id, traceId);
    assert.equal(inside?.service, 'test');
    assert.equal(outside?.trace_id, undefined);
    assert.deepEqual(
      exporter.getFinishedSpans().map((s) => s.name),
      ['work'],
    );
  } finally {
    await tracing.shutdown();
  }
});

test('log lines never carry a credential, whatever field a caller put it in', () => {
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', destination: { write: (l: string) => void lines.push(l) } });
  logger.info(
    {
      authorization: 'Bearer s3cret',
      headers: { authorization: 'Bearer s3cret', 'x-request-id': 'r1' },
      key: { apiKey: 's3cret', name: 'ci' },
      pipeline_id: 'p1',
    },
    'request',
  );
  const line = lines[0] ?? '';
  assert.doesNotMatch(line, /s3cret/);
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(parsed.pipeline_id, 'p1');
  assert.deepEqual(parsed.headers, { authorization: '[redacted]', 'x-request-id': 'r1' });
  assert.deepEqual(parsed.key, { apiKey: '[redacted]', name: 'ci' });
});
