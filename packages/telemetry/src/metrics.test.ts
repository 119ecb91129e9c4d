import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from './metrics.ts';

test('a gauge with a collect function is computed at scrape time, and a failing source does not fail the scrape', async () => {
  const m = createMetrics({ service: 'svc', defaults: false });
  let depth = 3;
  m.gauge('queue_depth', 'waiting', ['priority'], (g) => {
    g.reset();
    g.set({ priority: 'High' }, depth);
  });
  m.gauge('broken', 'its source is down', [], () => {
    throw new Error('database unreachable');
  });
  assert.match(await m.registry.metrics(), /^po_queue_depth\{priority="High",service="svc"\} 3$/m);
  depth = 0;
  const text = await m.registry.metrics();
  assert.match(text, /^po_queue_depth\{priority="High",service="svc"\} 0$/m);
  assert.match(text, /^# TYPE po_broken gauge$/m);
});

test('process and runtime defaults are registered with the po_ prefix and the service label', async () => {
  const m = createMetrics({ service: 'svc' });
  const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
  for (const n of [
    'po_process_cpu_seconds_total',
    'po_process_resident_memory_bytes',
    'po_nodejs_eventloop_lag_seconds',
  ]) {
    assert.ok(names.includes(n), n);
  }
  assert.match(await m.registry.metrics(), /^po_process_cpu_user_seconds_total\{service="svc"\} /m);
});
