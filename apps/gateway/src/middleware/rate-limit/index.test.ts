import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { ApiError } from '../../errors/api-error.ts';
import { onError } from '../../errors/handler.ts';
import { FakeClock } from '../../testing/harness.ts';
import { rateLimit, TokenBuckets } from './index.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

test('token bucket allows a burst, then refills at the rate', () => {
  const clock = new FakeClock(0);
  const b = new TokenBuckets({ ratePerSecond: 2, burst: 3 }, clock);
  assert.equal(b.take('a'), 0);
  assert.equal(b.take('a'), 0);
  assert.equal(b.take('a'), 0);
  assert.equal(b.take('a'), 0.5);
  assert.equal(b.take('b'), 0, 'keys are independent');
  clock.advance(500);
  assert.equal(b.take('a'), 0);
  assert.ok(b.take('a') > 0);
});

test('rate limit middleware answers 429 ResourceQuotaExceeded with Retry-After', async () => {
  const clock = new FakeClock(0);
  const app = new Hono();
  app.onError(onError(silent));
  app.use(rateLimit({ ratePerSecond: 1, burst: 1, resource: 'requests per client', key: () => 'k', clock }));
  app.get('/', (c) => c.text('ok'));
  assert.equal((await app.request('/')).status, 200);
  const res = await app.request('/');
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '1');
  assert.deepEqual(await res.json(), {
    error: 'Resource quota exceeded: requests per client',
    type: 'ResourceQuotaExceeded',
  });
  clock.advance(1000);
  assert.equal((await app.request('/')).status, 200);
  assert.ok(new ApiError('Timeout', 'x').status === 408);
});
