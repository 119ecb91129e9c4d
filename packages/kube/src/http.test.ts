import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourcePath } from './http.ts';

test('resourcePath: the API group of each kind, the namespace and the name encoded', () => {
  const cases: [Parameters<typeof resourcePath>, string][] = [
    [['jobs', 'pipelines'], '/apis/batch/v1/namespaces/pipelines/jobs'],
    [['jobs', 'pipelines', 'pipeline-a-1'], '/apis/batch/v1/namespaces/pipelines/jobs/pipeline-a-1'],
    [['pods', 'ns', 'p/x?y'], '/api/v1/namespaces/ns/pods/p%2Fx%3Fy'],
    [['leases', 'n s', 'watcher'], '/apis/coordination.k8s.io/v1/namespaces/n%20s/leases/watcher'],
  ];
  for (const [args, want] of cases) assert.equal(resourcePath(...args), want, JSON.stringify(args));
});
