import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKubeFailure, kubeRequestOf } from './requests.ts';

test('a request maps to its RBAC verb and resource, without names or namespaces', () => {
  const cases: [string, string, string | undefined][] = [
    ['POST', '/apis/batch/v1/namespaces/p/jobs', 'create jobs'],
    ['GET', '/apis/batch/v1/namespaces/p/jobs/pipeline-1-1', 'get jobs'],
    ['GET', '/apis/batch/v1/namespaces/p/jobs?labelSelector=a%3Db&limit=500', 'list jobs'],
    ['GET', '/apis/batch/v1/namespaces/p/jobs?watch=true&resourceVersion=5', 'watch jobs'],
    ['DELETE', '/apis/batch/v1/namespaces/p/jobs/pipeline-1-1?propagationPolicy=Background', 'delete jobs'],
    ['GET', '/api/v1/namespaces/p/pods?labelSelector=x', 'list pods'],
    ['GET', '/api/v1/namespaces/p/pods?watch=1', 'watch pods'],
    ['GET', '/api/v1/namespaces/p/pods/pod-a/log?follow=true&container=main', 'get pods/log'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/p/leases/w', 'update leases'],
    ['POST', '/apis/coordination.k8s.io/v1/namespaces/p/leases', 'create leases'],
    ['PATCH', '/api/v1/namespaces/p/pods/a', 'patch pods'],
    ['DELETE', '/api/v1/namespaces/p/pods', 'deletecollection pods'],
    ['GET', '/api/v1/namespaces', 'list namespaces'],
    ['GET', '/version', undefined],
    ['GET', '/apis', undefined],
  ];
  for (const [method, path, want] of cases) {
    const got = kubeRequestOf(method, path);
    assert.equal(got ? `${got.verb} ${got.resource}` : undefined, want, `${method} ${path}`);
  }
});

test('a failing API server is a 5xx, a 429 or no answer; a 404 or 409 is an expected answer', () => {
  assert.deepEqual(['500', '503', '429', 'network', '404', '409', '200', '201'].map(isKubeFailure), [
    true,
    true,
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
});
