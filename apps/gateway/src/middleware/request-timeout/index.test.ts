import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHarness } from '../../testing/harness.ts';

test('a request that outlives the limit gets 408 with the seed body, not a hung connection', async () => {
  // A readiness dependency that never answers, as a stuck database would.
  const h = await createHarness({
    limits: { requestTimeoutMs: 50 },
    checks: { stuck: () => new Promise(() => {}) },
  });
  try {
    const res = await h.req('GET', '/ready');
    assert.equal(res.status, 408);
    assert.deepEqual(await res.json(), { error: 'Request timed out after 50 ms', type: 'Timeout' });
  } finally {
    await h.close();
  }
});

test('an internal fault is a 500 with a generic message and the request id, never the error itself', async () => {
  const h = await createHarness();
  try {
    await h.deps.db.destroy(); // every query now fails inside the handler
    const res = await h.req('GET', '/pipelines/3f0c2a1e-1b2c-4d5e-8f90-123456789abc');
    assert.equal(res.status, 500);
    const body = (await res.json()) as Record<string, unknown>;
    const requestId = res.headers.get('x-request-id');
    assert.ok(requestId);
    assert.deepEqual(body, { error: 'Internal server error', type: 'Internal', request_id: requestId });
  } finally {
    await h.close().catch(() => {});
  }
});
