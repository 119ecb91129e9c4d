// Two log-collector replicas (each its own pod informer, live tail and collector, as the service
// wires them) against kube-sim: a pod the Job controller kills at the Job's deadline is removed
// as soon as its container exits, as a real kubelet removes it, and what it printed is stored
// once, with one capture recorded.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BatchV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import type { PipelineFinished } from '@po/contracts';
import { admitQueued, appendLogs, insertPipeline } from '@po/db';
import { databaseForTests, newPipelineRow } from '@po/db/testing';
import {
  buildJob,
  createJobsApi,
  followPodLog,
  loadKubeConfig,
  readPodLog,
  startManagedInformer,
} from '@po/kube';
import { type KubeSim, startKubeSim } from '@po/kube-sim';
import { createLogger, createMetrics } from '@po/telemetry';
import { waitFor } from '@po/testkit';
import { LiveTail } from './live-tail.ts';
import { LogCollector } from './log-collector.ts';

const NS = 'pipelines';
const tdb = databaseForTests();
let sim: KubeSim;
let kc: KubeConfig;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'po-log-deadline-'));
  chmodSync(dir, 0o1777);
  sim = await startKubeSim({ workDir: dir });
  kc = loadKubeConfig({ kubeconfigYaml: sim.kubeconfig });
});
after(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One replica of the log-collector, wired as service.ts wires it. */
function replica(n: number) {
  const logger = createLogger({ service: `log-collector-${n}`, level: 'silent' });
  const jobs = createJobsApi(kc);
  const live = new LiveTail({
    logger,
    follow: (ns, pod) => followPodLog(kc, ns, pod),
    store: async (req) => {
      await appendLogs(tdb.db, { ...req, capBytes: 1 << 20 });
    },
  });
  const collector = new LogCollector({
    db: tdb.db,
    subjects: tdb.subjects,
    logger,
    metrics: createMetrics({ service: `log-collector-${n}`, defaults: false }),
    capBytes: 1 << 20,
    budget: { budgetMs: 30_000, cancelBudgetMs: 2_000, maxTries: 8, settleMs: 5_000 },
    listPods: (ns, job) => jobs.listPods(ns, job),
    readLog: (ns, pod) => readPodLog(kc, ns, pod),
    settleTails: (id, attempt, readable, ms) => live.settle(id, attempt, readable, ms),
  });
  const pods = startManagedInformer<V1Pod>(kc, 'pods', NS, logger, {
    onChange: (pod) => live.podChanged(pod),
    onDelete: (pod) => live.podDeleted(pod),
  });
  return {
    collector,
    pods,
    async stop() {
      await pods.stop();
      await live.stop();
    },
  };
}

test('two replicas, a pod killed at its Job deadline and removed: its line is stored once, one capture is recorded', async () => {
  const r = await insertPipeline(tdb.db, tdb.subjects, newPipelineRow());
  assert.ok(r.created);
  await admitQueued(tdb.db, tdb.subjects, { limit: 100 });
  const id = r.pipeline.id;
  const replicas = [replica(0), replica(1)];
  try {
    await Promise.all(replicas.map((x) => x.pods.synced));
    const job = buildJob(
      {
        pipelineId: id,
        attempt: 1,
        timeoutSeconds: 300,
        job: {
          template: 'test',
          image: 'python:3.11-slim',
          command: ['python3', '-c'],
          args: ['import time\nprint("first line", flush=True)\ntime.sleep(300)'],
          env: {},
          resources: { cpu_request: '50m', memory_request: '64Mi', cpu_limit: '500m', memory_limit: '128Mi' },
          backoffLimit: 0,
        },
      },
      {
        namespace: NS,
        ttlSecondsAfterFinished: 3600,
        imageAllowList: [],
        maxCpu: '2',
        maxMemory: '4Gi',
      },
    );
    const name = job.metadata?.name ?? '';
    assert.equal(await createJobsApi(kc).create(job), 'created');
    const lines = async () =>
      (
        await tdb.db
          .selectFrom('pipeline_logs')
          .select('line')
          .where('pipeline_id', '=', id)
          .orderBy('id')
          .execute()
      ).map((l) => l.line);
    await waitFor('the line stored while the pod runs', async () =>
      (await lines()).length > 0 ? true : undefined,
    );

    // Its deadline comes: the Job controller deletes the active pod, the kubelet stops it and
    // removes it once its container has exited.
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.patchNamespacedJob(
      { name, namespace: NS, body: { spec: { activeDeadlineSeconds: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor('the Job failed on its deadline, its pod gone', async () => {
      const j = await batch.readNamespacedJob({ name, namespace: NS });
      const failed = j.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed?.reason !== 'DeadlineExceeded') return undefined;
      return (await createJobsApi(kc).listPods(NS, name)).length === 0 ? true : undefined;
    });

    const msg: PipelineFinished = {
      id: randomUUID(),
      type: 'pipeline.finished',
      version: 1,
      occurredAt: new Date().toISOString(),
      pipelineId: id,
      attempt: 1,
      data: { status: 'Timeout', jobName: name, namespace: NS, reason: 'DeadlineExceeded' },
    };
    await Promise.all(replicas.map((x) => x.collector.capture(msg, 1)));
    assert.deepEqual(await lines(), ['first line']);
    const captured = await tdb.db
      .selectFrom('pipeline_events')
      .select('reason')
      .where('pipeline_id', '=', id)
      .where('kind', '=', 'logs_captured')
      .execute();
    assert.deepEqual(captured, [{ reason: 'logs stored' }]);
  } finally {
    await Promise.all(replicas.map((x) => x.stop()));
  }
});
