import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type KubeSim, startKubeSim } from './index.ts';
import { jobBody, raw, uniq, waitFor } from './test-helpers.ts';

let sim: KubeSim;
before(async () => {
  sim = await startKubeSim({ mode: 'fast', fast: { durationMs: 10 } });
});
after(() => sim.stop());

test('error responses: 429 with Retry-After, 503 for a path, limited times', async () => {
  const off = sim.faults.error(429, { path: '/apis/batch/v1', times: 1, retryAfterSeconds: 2 });
  const r = await raw(sim.url, 'GET', '/apis/batch/v1/namespaces/pipelines/jobs');
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '2');
  assert.equal((r.body as { reason: string }).reason, 'TooManyRequests');
  assert.equal((await raw(sim.url, 'GET', '/apis/batch/v1/namespaces/pipelines/jobs')).status, 200);
  off();
  const off2 = sim.faults.error(503, { path: '/api/v1/namespaces/pipelines/pods', method: 'GET' });
  assert.equal((await raw(sim.url, 'GET', '/api/v1/namespaces/pipelines/pods')).status, 503);
  off2();
  assert.equal((await raw(sim.url, 'GET', '/api/v1/namespaces/pipelines/pods')).status, 200);
});

test('watch streams are cut after N events', async () => {
  const off = sim.faults.cutWatches({ afterEvents: 2, mode: 'end' });
  for (const n of [uniq('cut'), uniq('cut'), uniq('cut')]) {
    await raw(
      sim.url,
      'POST',
      '/apis/batch/v1/namespaces/pipelines/jobs',
      jobBody(n, ['true'], { suspend: true }),
    );
  }
  const res = await fetch(`${sim.url}/apis/batch/v1/namespaces/pipelines/jobs?watch=true`);
  const text = await res.text(); // ends when the sim cuts the stream
  assert.equal(text.trim().split('\n').length, 2);
  off();
});

test('restart drops connections, keeps state, listens on the same port', async () => {
  const name = uniq('rs');
  await raw(sim.url, 'POST', '/apis/batch/v1/namespaces/pipelines/jobs', jobBody(name, ['true']));
  const ctrl = new AbortController();
  const res = await fetch(`${sim.url}/apis/batch/v1/namespaces/pipelines/jobs?watch=true&resourceVersion=0`, {
    signal: ctrl.signal,
  });
  const reading = res.text().then(
    () => 'ended',
    () => 'reset',
  );
  await sim.restart();
  assert.ok(['ended', 'reset'].includes(await reading));
  const got = await waitFor('job still there', async () => {
    const r = await raw(sim.url, 'GET', `/apis/batch/v1/namespaces/pipelines/jobs/${name}`);
    return r.status === 200 ? r : undefined;
  });
  assert.equal((got.body as { metadata: { name: string } }).metadata.name, name);
});

test('latency is injected before the request is handled', async () => {
  const off = sim.faults.latency(150, { path: '/version' });
  const t = performance.now();
  await raw(sim.url, 'GET', '/version');
  assert.ok(performance.now() - t >= 140);
  off();
});
