// kube-sim counts the API requests it receives by kind, so benchmarks can report the Kubernetes
// requests a pipeline costs (issue 14).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type KubeSim, startKubeSim } from './index.ts';
import { requestKind } from './request-count.ts';
import { jobBody, raw, uniq } from './test-helpers.ts';

test('requestKind names a request by verb and resource as the API server does', () => {
  const cases: [string, string, boolean, string][] = [
    ['GET', '/api/v1/namespaces/pipelines/pods', false, 'list pods'],
    ['GET', '/api/v1/pods', false, 'list pods'],
    ['GET', '/api/v1/namespaces/pipelines/pods', true, 'watch pods'],
    ['GET', '/apis/batch/v1/watch/namespaces/pipelines/jobs', true, 'watch jobs'],
    ['GET', '/api/v1/namespaces/pipelines/pods/p-1', false, 'get pods'],
    ['GET', '/api/v1/namespaces/pipelines/pods/p-1/log', false, 'get pods/log'],
    ['POST', '/apis/batch/v1/namespaces/pipelines/jobs', false, 'create jobs'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/pipelines/leases/l', false, 'update leases'],
    ['PATCH', '/apis/batch/v1/namespaces/pipelines/jobs/j/status', false, 'patch jobs/status'],
    ['DELETE', '/apis/batch/v1/namespaces/pipelines/jobs/j', false, 'delete jobs'],
    ['DELETE', '/api/v1/namespaces/pipelines/pods', false, 'deletecollection pods'],
    ['GET', '/api/v1/namespaces/pipelines', false, 'get namespaces'],
    ['GET', '/api/v1/namespaces', false, 'list namespaces'],
    ['GET', '/version', false, 'get /version'],
    ['GET', '/apis', false, 'get /apis'],
  ];
  for (const [method, path, watch, want] of cases)
    assert.equal(requestKind(method, path, watch), want, `${method} ${path}`);
});

let sim: KubeSim;
before(async () => {
  sim = await startKubeSim({ mode: 'fast', fast: { durationMs: 10 } });
});
after(() => sim.stop());

test('KubeSim.requests counts every request it received, faulted ones too', async () => {
  const before = (kind: string) => sim.requests.get(kind) ?? 0;
  const [lists, creates, gets] = [before('list jobs'), before('create jobs'), before('get jobs')];
  const name = uniq('counted');
  assert.equal(
    (await raw(sim.url, 'POST', '/apis/batch/v1/namespaces/pipelines/jobs', jobBody(name, ['true']))).status,
    201,
  );
  await raw(sim.url, 'GET', `/apis/batch/v1/namespaces/pipelines/jobs/${name}`);
  await raw(sim.url, 'GET', '/apis/batch/v1/namespaces/pipelines/jobs');
  const off = sim.faults.error(503, { path: '/apis/batch/v1/namespaces/pipelines/jobs', method: 'GET' });
  assert.equal((await raw(sim.url, 'GET', '/apis/batch/v1/namespaces/pipelines/jobs')).status, 503);
  off();
  assert.equal(sim.requests.get('create jobs'), creates + 1);
  assert.equal(sim.requests.get('get jobs'), gets + 1);
  assert.equal(sim.requests.get('list jobs'), lists + 2);
});
