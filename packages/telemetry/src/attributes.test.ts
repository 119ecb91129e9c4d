import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isServerError, k8sAttributes, pipelineAttributes, traceIdOf } from './attributes.ts';

test('k8sAttributes names the namespace, resource and object of a Kubernetes API path', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      '/apis/batch/v1/namespaces/pipelines/jobs/pipeline-abc-1',
      { 'k8s.namespace.name': 'pipelines', 'k8s.resource': 'jobs', 'k8s.job.name': 'pipeline-abc-1' },
    ],
    [
      '/apis/batch/v1/namespaces/pipelines/jobs?labelSelector=x',
      { 'k8s.namespace.name': 'pipelines', 'k8s.resource': 'jobs' },
    ],
    [
      '/api/v1/namespaces/pipelines/pods/p-1/log?follow=true',
      { 'k8s.namespace.name': 'pipelines', 'k8s.resource': 'pods/log', 'k8s.pod.name': 'p-1' },
    ],
    [
      '/apis/coordination.k8s.io/v1/namespaces/default/leases/w',
      { 'k8s.namespace.name': 'default', 'k8s.resource': 'leases', 'k8s.lease.name': 'w' },
    ],
    ['/api/v1/namespaces/ns', { 'k8s.namespace.name': 'ns' }],
    ['/v1/traces', {}],
    ['/api/v1/pods', {}],
  ];
  for (const [path, want] of cases) assert.deepEqual(k8sAttributes(path), want, path);
});

test('traceIdOf reads a W3C traceparent and refuses anything else', () => {
  const id = '0af7651916cd43dd8448eb211c80319c';
  assert.equal(traceIdOf(`00-${id}-b7ad6b7169203331-01`), id);
  assert.equal(traceIdOf(`00-${'0'.repeat(32)}-b7ad6b7169203331-01`), null);
  assert.equal(traceIdOf('garbage'), null);
  assert.equal(traceIdOf(null), null);
  assert.equal(traceIdOf(undefined), null);
});

test('pipelineAttributes keeps the known facts under po.* names', () => {
  assert.deepEqual(pipelineAttributes({ pipelineId: 'p', attempt: 2, tenant: 't', template: 'etl' }), {
    'po.pipeline.id': 'p',
    'po.attempt': 2,
    'po.tenant': 't',
    'po.template': 'etl',
  });
  assert.deepEqual(pipelineAttributes({ pipelineId: 'p', attempt: 0 }), {
    'po.pipeline.id': 'p',
    'po.attempt': 0,
  });
  assert.deepEqual(pipelineAttributes({ tenant: null, attempt: Number.NaN }), {});
});

test('only a 5xx answer is a server error', () => {
  assert.deepEqual([200, 201, 400, 404, 408, 429, 499, 500, 503].map(isServerError), [
    false,
    false,
    false,
    false,
    false,
    false,
    false,
    true,
    true,
  ]);
});
