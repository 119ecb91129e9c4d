import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { instrumentKubeRequests, isKubeFailure, kubeRequestOf } from './requests.ts';

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

test('every request to the configured API server is measured by verb, resource and code; other hosts are not', async () => {
  const server = createServer((req, res) => {
    res.writeHead(req.url?.includes('/pods/gone') ? 404 : 200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const other = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const port = (s: typeof server) => (s.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port(server)}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const seen: string[] = [];
  const stop = instrumentKubeRequests(kc, {
    request: (r, code, seconds) => {
      assert.ok(seconds >= 0);
      seen.push(`${r.verb} ${r.resource} ${code}`);
    },
    informerRestarted: () => {},
    watchConnected: () => {},
  });
  try {
    const core = kc.makeApiClient(CoreV1Api);
    await core.listNamespacedPod({ namespace: 'p' });
    await core.readNamespacedPod({ namespace: 'p', name: 'gone' }).catch(() => undefined);
    await fetch(`http://127.0.0.1:${port(other)}/api/v1/namespaces/p/pods`);
    assert.deepEqual(seen, ['list pods 200', 'get pods 404']);
  } finally {
    stop();
    server.close();
    other.close();
  }
});
