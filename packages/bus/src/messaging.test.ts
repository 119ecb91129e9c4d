import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { subjects } from '@po/contracts';
import { traceHeadersFor } from '@po/db';
import { messagePipelineAttributes, messagingAttributes, messagingSpanName } from './trace.ts';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const s = subjects('po');
const id = '0b5e7f1c-2d3a-4c5b-9e8f-7a6b5c4d3e2f';

test('messaging spans follow the OTel conventions, named by the subject template, never an id', () => {
  const status = s.pipelineStatus('acme', id);
  assert.equal(messagingSpanName(status, 'publish'), 'publish po.evt.status.{tenant}.{pipeline_id}');
  assert.equal(messagingSpanName(s.jobCreate, 'process'), 'process po.cmd.job.create');
  assert.deepEqual(messagingAttributes(status, 'publish'), {
    'messaging.system': 'nats',
    'messaging.destination.name': status,
    'messaging.destination.template': 'po.evt.status.{tenant}.{pipeline_id}',
    'messaging.operation.name': 'publish',
    'messaging.operation.type': 'send',
  });
  assert.equal(messagingAttributes(s.jobCreate, 'process')['messaging.operation.type'], 'process');
});

test("a bus envelope's pipeline and attempt become span attributes; other bodies give none", () => {
  assert.deepEqual(messagePipelineAttributes({ id: 'm', pipelineId: id, attempt: 2, data: {} }), {
    'po.pipeline.id': id,
    'po.attempt': 2,
  });
  assert.deepEqual(messagePipelineAttributes({ tenant: 'x' }), {});
  assert.deepEqual(messagePipelineAttributes('text'), {});
  assert.deepEqual(messagePipelineAttributes(null), {});
});

test("a message about a pipeline continues the pipeline's trace, not a request's of another trace", () => {
  const pipelineTrace = '0af7651916cd43dd8448eb211c80319c';
  const root = `00-${pipelineTrace}-b7ad6b7169203331-01`;
  const under = (traceId: string, spanId: string) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: 1 });
  // No active span: the pipeline's root.
  assert.deepEqual(traceHeadersFor(root), { traceparent: root });
  // A span of the pipeline's trace is the parent.
  context.with(under(pipelineTrace, '1111111111111111'), () =>
    assert.deepEqual(traceHeadersFor(root), { traceparent: `00-${pipelineTrace}-1111111111111111-01` }),
  );
  // A cancel request's span (another trace) is not.
  context.with(under('4bf92f3577b34da6a3ce929d0e0e4736', '2222222222222222'), () =>
    assert.deepEqual(traceHeadersFor(root), { traceparent: root }),
  );
  // A pipeline with no stored trace: whatever is active.
  context.with(under('4bf92f3577b34da6a3ce929d0e0e4736', '2222222222222222'), () =>
    assert.deepEqual(traceHeadersFor(null), {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-2222222222222222-01',
    }),
  );
});
