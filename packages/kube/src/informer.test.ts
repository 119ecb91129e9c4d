// An informer with a transform (the watcher's slim caches) against kube-sim through client-node:
// listed and watched objects reach the handlers and the cache already slimmed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BatchV1Api, type KubeConfig, type V1Job } from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, MANAGED_BY, MANAGED_SELECTOR } from '@po/contracts';
import { type KubeSim, startKubeSim } from '@po/kube-sim';
import { waitFor } from '@po/testkit';
import { loadKubeConfig } from './config.ts';
import { startInformer } from './informer.ts';
import type { Logger } from './logger.ts';
import { slimJob } from './slim.ts';

const NS = 'pipelines';
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let sim: KubeSim;
let kc: KubeConfig;

before(async () => {
  sim = await startKubeSim({ mode: 'fast', fast: { durationMs: 3_600_000 } });
  kc = loadKubeConfig({ kubeconfigYaml: sim.kubeconfig });
});
after(() => sim.stop());

const job = (name: string): V1Job => ({
  metadata: { name, labels: { [LABEL_MANAGED_BY]: MANAGED_BY } },
  spec: {
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } },
  },
});

test('a transform applies to listed and watched objects before the cache and the handlers see them', async () => {
  const batch = kc.makeApiClient(BatchV1Api);
  await batch.createNamespacedJob({ namespace: NS, body: job('slim-listed') });
  const seen: V1Job[] = [];
  const informer = startInformer<V1Job>(kc, {
    kind: 'jobs',
    namespace: NS,
    labelSelector: MANAGED_SELECTOR,
    logger: quiet,
    onChange: (j) => seen.push(j),
    onDelete: () => {},
    transform: slimJob,
  });
  try {
    await informer.synced;
    await batch.createNamespacedJob({ namespace: NS, body: job('slim-watched') });
    await waitFor('the watched Job', async () => informer.get('slim-watched'));
    for (const name of ['slim-listed', 'slim-watched']) {
      const cached = informer.get(name);
      assert.equal(cached?.spec?.template, undefined, name);
      assert.equal(cached?.metadata?.managedFields, undefined, name);
      assert.ok(cached?.metadata?.resourceVersion, name);
    }
    assert.ok(seen.length >= 2);
    for (const j of seen) assert.equal(j.spec?.template, undefined);
    // The API server still has the whole object.
    const whole = await batch.readNamespacedJob({ name: 'slim-watched', namespace: NS });
    assert.ok(whole.spec?.template.spec?.containers.length);
  } finally {
    await informer.stop();
  }
});

test('the list is read page by page and the cache holds every page', async () => {
  const batch = kc.makeApiClient(BatchV1Api);
  const ns = 'default';
  for (const name of ['paged-a', 'paged-b', 'paged-c'])
    await batch.createNamespacedJob({ namespace: ns, body: job(name) });
  const lists = sim.requests.get('list jobs') ?? 0;
  const informer = startInformer<V1Job>(kc, {
    kind: 'jobs',
    namespace: ns,
    labelSelector: MANAGED_SELECTOR,
    logger: quiet,
    onChange: () => {},
    onDelete: () => {},
    pageSize: 1,
  });
  try {
    await informer.synced;
    assert.deepEqual(
      informer
        .list()
        .map((j) => j.metadata?.name)
        .sort(),
      ['paged-a', 'paged-b', 'paged-c'],
    );
    assert.ok((sim.requests.get('list jobs') ?? 0) - lists >= 3, 'one request per page');
    // The watch starts from the list's snapshot: a Job created now arrives.
    await batch.createNamespacedJob({ namespace: ns, body: job('paged-d') });
    await waitFor('the watched Job', async () => informer.get('paged-d'));
  } finally {
    await informer.stop();
  }
});
