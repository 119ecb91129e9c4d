import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { loadKubeConfig } from './config.ts';
import { createJobsApi } from './jobs-api.ts';

test('API calls share one connection pool instead of a new connection per request', async () => {
  let connections = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'ns' } }),
    );
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "${url}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;
  try {
    const jobs = createJobsApi(loadKubeConfig({ kubeconfigYaml: kubeconfig }));
    for (let i = 0; i < 20; i++) assert.equal((await jobs.get('ns', 'j'))?.metadata?.name, 'j');
    assert.ok(connections <= 2, `20 sequential requests used ${connections} connections`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
