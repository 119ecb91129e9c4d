import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '@po/telemetry';
import { startOpsServer } from './ops-server.ts';

test('/health says who is alive, /ready reflects every check, /metrics serves the registry', async () => {
  const metrics = createMetrics({ service: 'test', defaults: false });
  metrics.counter('things_total', 'things').inc();
  let dbUp = true;
  const ops = await startOpsServer({
    port: 0,
    registry: metrics.registry,
    checks: {
      postgres: async () => {
        if (!dbUp) throw new Error('connection refused');
      },
    },
    identity: { service: 'scheduler', instance: 'i-123' },
  });
  try {
    const base = `http://127.0.0.1:${ops.port}`;
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', service: 'scheduler', instance: 'i-123' });
    assert.equal((await fetch(`${base}/ready`)).status, 200);
    dbUp = false;
    const notReady = await fetch(`${base}/ready`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), {
      status: 'not ready',
      checks: { postgres: 'connection refused' },
    });
    assert.match(await (await fetch(`${base}/metrics`)).text(), /^po_things_total\{service="test"\} 1$/m);
  } finally {
    await ops.close();
  }
});
