// Wire tests: the real @kubernetes/client-node against kube-sim (its kubelet runs containers as local processes).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeConfig, V1Job, V1Pod } from '@kubernetes/client-node';
import { LABEL_PIPELINE_ID, MANAGED_SELECTOR, type RenderedJob } from '@po/contracts';
import { type KubeSim, startKubeSim } from '@po/kube-sim';
import { builtinTemplates, renderJob, validateConfig } from '@po/templates';
import { waitFor } from '@po/testkit';
import { buildJob, type JobPolicy } from './build-job.ts';
import { loadKubeConfig } from './config.ts';
import { classifyKubeError } from './errors.ts';
import { startInformer } from './informer.ts';
import { createJobsApi, type JobsApi } from './jobs-api.ts';
import type { Logger } from './logger.ts';
import { followPodLog, readPodLog } from './logs.ts';
import { mapJobStatus } from './status.ts';

const NS = 'pipelines';
const policy: JobPolicy = {
  namespace: NS,
  ttlSecondsAfterFinished: 3600,
  imageAllowList: ['python'],
  maxCpu: '2',
  maxMemory: '4Gi',
};
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let sim: KubeSim;
let kc: KubeConfig;
let api: JobsApi;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'po-kube-wire-'));
  // The directory the workloads (running as their non-root user) are given to read and write.
  chmodSync(dir, 0o1777);
  sim = await startKubeSim({ workDir: dir });
  kc = loadKubeConfig({ kubeconfigYaml: sim.kubeconfig });
  api = createJobsApi(kc);
});
after(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

function script(code: string, env: Record<string, string> = {}): RenderedJob {
  return {
    template: 'test',
    image: 'python:3.11-slim',
    command: ['python3', '-c'],
    args: [code],
    env: { PYTHONUNBUFFERED: '1', ...env },
    resources: { cpu_request: '100m', memory_request: '64Mi', cpu_limit: '200m', memory_limit: '128Mi' },
    backoffLimit: 0,
  };
}

function jobFor(job: RenderedJob, timeoutSeconds = 60): { pipelineId: string; job: V1Job; name: string } {
  const pipelineId = randomUUID();
  const built = buildJob(
    { pipelineId, attempt: 1, job, timeoutSeconds, traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
    policy,
  );
  return { pipelineId, job: built, name: built.metadata?.name ?? '' };
}

/** The data-processing template validated, rendered and built into a Job, as the services do. */
function dataProcessingJob(config: Record<string, unknown>): {
  pipelineId: string;
  job: V1Job;
  name: string;
} {
  const t = builtinTemplates().find((x) => x.name === 'data-processing');
  assert.ok(t);
  const v = validateConfig(t, config);
  assert.ok(v.ok);
  const pipelineId = randomUUID();
  const job = buildJob(
    { pipelineId, attempt: 1, job: renderJob(t, { pipelineId, config: v.config }), timeoutSeconds: 60 },
    policy,
  );
  return { pipelineId, job, name: job.metadata?.name ?? '' };
}

async function outcome(name: string) {
  const job = await api.get(NS, name);
  if (!job) return undefined;
  return mapJobStatus(job, await api.listPods(NS, name));
}

async function terminal(name: string) {
  return waitFor(`terminal status of ${name}`, async () => {
    const o = await outcome(name);
    return o && ['Succeeded', 'Failed', 'Timeout'].includes(o.status) ? o : undefined;
  });
}

async function podOf(name: string): Promise<V1Pod> {
  return waitFor(`pod of ${name}`, async () => (await api.listPods(NS, name))[0]);
}

describe('Jobs API against kube-sim', () => {
  it('create is idempotent: created, then exists', async () => {
    const { job, name } = jobFor(script('print("hi")'));
    assert.equal(await api.create(job), 'created');
    assert.equal(await api.create(job), 'exists');
    const got = await api.get(NS, name);
    assert.equal(got?.metadata?.name, name);
    assert.ok((await api.listManaged(NS)).some((j) => j.metadata?.name === name));
    assert.equal(await api.get(NS, 'pipeline-does-not-exist-1'), undefined);
  });

  it('deletes by uid only the object created: another Job by that name is left, a gone one is gone', async () => {
    const { job, name } = jobFor(script('import time\ntime.sleep(60)'));
    const created = await api.createWithUid(job);
    assert.equal(created.outcome, 'created');
    assert.ok(created.uid);
    assert.deepEqual(await api.createWithUid(job), { outcome: 'exists', uid: undefined });
    assert.equal(await api.deleteUid(NS, name, 'another-uid'), 'replaced');
    assert.equal((await api.get(NS, name))?.metadata?.uid, created.uid);
    assert.equal(await api.deleteUid(NS, name, created.uid), 'deleted');
    await waitFor('Job gone', async () => (await api.get(NS, name)) === undefined);
    assert.equal(await api.deleteUid(NS, name, created.uid), 'gone');
    // Background propagation: the pods go with it.
    await waitFor('pods gone', async () => (await api.listPods(NS, name)).length === 0);
  });

  it('runs the data-processing template to Succeeded and reads its log', async () => {
    const input = join(dir, 'input.txt');
    writeFileSync(input, Array.from({ length: 2500 }, (_, i) => `line ${i}`).join('\n'));
    const { pipelineId, job, name } = dataProcessingJob({
      input_path: input,
      output_path: join(dir, 'out.json'),
    });
    assert.equal(await api.create(job), 'created');
    assert.deepEqual(await terminal(name), { status: 'Succeeded', reason: null, exitCode: 0 });
    const pod = await podOf(name);
    const lines = await readPodLog(kc, NS, pod.metadata?.name ?? '');
    assert.deepEqual(
      lines.map((l) => l.line),
      [
        `Processing data for pipeline ${pipelineId}`,
        'batch 1: 1000 records',
        'batch 2: 1000 records',
        'batch 3: 500 records',
        'done: 2500 records',
      ],
    );
    assert.ok(lines.every((l) => l.ts instanceof Date));
  });

  it('maps the failure path: exit 1 with the reason, the last log line and exit code', async () => {
    const missing = join(dir, 'missing.txt');
    const { job, name } = dataProcessingJob({ input_path: missing, output_path: join(dir, 'o.json') });
    await api.create(job);
    assert.deepEqual(await terminal(name), {
      status: 'Failed',
      reason: `BackoffLimitExceeded: exit code 1: error: input not found: ${missing}`,
      exitCode: 1,
    });
    const pod = await podOf(name);
    const lines = await readPodLog(kc, NS, pod.metadata?.name ?? '');
    assert.ok(lines.some((l) => l.line === `error: input not found: ${missing}`));
  });

  it('maps an activeDeadlineSeconds overrun to Timeout', async () => {
    const { job, name } = jobFor(script('import time\nprint("sleeping")\ntime.sleep(60)'), 1);
    await api.create(job);
    const o = await terminal(name);
    assert.equal(o.status, 'Timeout');
    assert.match(o.reason ?? '', /^DeadlineExceeded/);
  });

  it('maps a missing executable to StartError', async () => {
    const { job, name } = jobFor({ ...script(''), command: ['definitely-not-an-executable-xyz'], args: [] });
    await api.create(job);
    assert.deepEqual(await terminal(name), {
      status: 'Failed',
      reason: 'StartError: executable not found',
      exitCode: 128,
    });
  });

  it('passes env values raw: no $(VAR) expansion, no shell', async () => {
    const raw = `$(POD_NAME) $$ $ "'; \`id\` $(echo pwned)`;
    const { job, name } = jobFor(
      script(
        'import os\nprint(os.environ["RAW"])\nprint(os.environ["POD_NAME"])\nprint(os.environ["TRACEPARENT"])',
        { RAW: raw },
      ),
    );
    await api.create(job);
    assert.equal((await terminal(name)).status, 'Succeeded');
    const pod = await podOf(name);
    const lines = (await readPodLog(kc, NS, pod.metadata?.name ?? '')).map((l) => l.line);
    assert.deepEqual(lines, [raw, pod.metadata?.name, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`]);
  });

  it('delete uses Background propagation (pods go too) and is idempotent', async () => {
    const { job, name } = jobFor(script('import time\ntime.sleep(30)'));
    await api.create(job);
    await waitFor('running', async () => (await outcome(name))?.status === 'Running');
    assert.equal((await api.listPods(NS, name)).length, 1);
    assert.equal(await api.delete(NS, name), 'deleted');
    await waitFor('job gone', async () => (await api.get(NS, name)) === undefined);
    await waitFor('pods gone', async () => (await api.listPods(NS, name)).length === 0);
    assert.equal(await api.delete(NS, name), 'gone');
  });

  it('follows a live log until the container exits', async () => {
    const { job, name } = jobFor(
      script('import time\nfor i in range(5):\n    print(f"tick {i}")\n    time.sleep(0.05)'),
    );
    await api.create(job);
    const pod = await podOf(name);
    const podName = pod.metadata?.name ?? '';
    const lines = await waitFor('log stream', async () => {
      const f = followPodLog(kc, NS, podName);
      try {
        const out: string[] = [];
        for await (const l of f.lines) out.push(l.line);
        return out;
      } catch (err) {
        if (classifyKubeError(err).kind === 'retry') return undefined;
        throw err;
      }
    });
    assert.deepEqual(lines, ['tick 0', 'tick 1', 'tick 2', 'tick 3', 'tick 4']);
  });

  it('reads and follows a log line holding U+2028 and a NUL as one line, the same both ways', async () => {
    const { job, name } = jobFor(script('print("a\\u2028b\\u0000c", flush=True)\nprint("next")'));
    await api.create(job);
    await waitFor('done', async () => (await outcome(name))?.status === 'Succeeded');
    const podName = (await podOf(name)).metadata?.name ?? '';
    const read = (await readPodLog(kc, NS, podName)).map((l) => l.line);
    assert.deepEqual(read, ['a\u2028b\u0000c', 'next']);
    const followed: string[] = [];
    for await (const l of followPodLog(kc, NS, podName).lines) followed.push(l.line);
    assert.deepEqual(followed, read);
  });

  it('a 204 from the log endpoint is an empty log, not an error', async () => {
    const { job, name } = jobFor(script('print("hidden")'));
    await api.create(job);
    await waitFor('done', async () => (await outcome(name))?.status === 'Succeeded');
    const podName = (await podOf(name)).metadata?.name ?? '';
    const remove = sim.faults.error(204, { path: `/pods/${podName}/log` });
    try {
      assert.deepEqual(await readPodLog(kc, NS, podName), []);
      const followed: string[] = [];
      for await (const l of followPodLog(kc, NS, podName).lines) followed.push(l.line);
      assert.deepEqual(followed, []);
    } finally {
      remove();
    }
  });

  it('abort ends a follow', async () => {
    const { job, name } = jobFor(script('import time\nprint("start")\ntime.sleep(30)'));
    await api.create(job);
    await waitFor('running', async () => (await outcome(name))?.status === 'Running');
    const pod = await podOf(name);
    const f = followPodLog(kc, NS, pod.metadata?.name ?? '');
    const seen: string[] = [];
    for await (const l of f.lines) {
      seen.push(l.line);
      f.abort();
    }
    assert.deepEqual(seen, ['start']);
    await api.delete(NS, name);
  });

  it('classifies real server errors', async () => {
    const { job } = jobFor(script('print(1)'));
    const invalid = { ...job, metadata: { ...job.metadata, name: 'Not_A_Valid_Name' } };
    const err422 = await api.create(invalid).then(
      () => null,
      (e: unknown) => e,
    );
    const c = classifyKubeError(err422);
    assert.equal(c.kind, 'permanent');
    assert.match(c.reason, /^422 Invalid: /);

    const remove = sim.faults.error(429, {
      path: '/apis/batch/v1/namespaces/pipelines/jobs',
      method: 'POST',
      retryAfterSeconds: 3,
      times: 1,
    });
    try {
      const err429 = await api.create(jobFor(script('print(1)')).job).then(
        () => null,
        (e: unknown) => e,
      );
      const r = classifyKubeError(err429);
      assert.equal(r.kind, 'retry');
      if (r.kind === 'retry') assert.equal(r.delayMs, 3000);
    } finally {
      remove();
    }
  });
});

describe('informer against kube-sim', () => {
  it('sees add, update and delete, and keeps going after 410, cut watches and errors', async () => {
    const seen = new Map<string, V1Job>();
    const deleted = new Set<string>();
    const errors: unknown[] = [];
    const inf = startInformer<V1Job>(kc, {
      kind: 'jobs',
      namespace: NS,
      labelSelector: MANAGED_SELECTOR,
      logger: quiet,
      onChange: (j) => seen.set(j.metadata?.name ?? '', j),
      onDelete: (j) => deleted.add(j.metadata?.name ?? ''),
      onError: (e) => errors.push(e),
      backoff: { initialMs: 20, maxMs: 200 },
    });
    try {
      await inf.synced;
      const first = jobFor(script('print("one")'));
      await api.create(first.job);
      await waitFor('informer sees completion', async () => {
        const j = seen.get(first.name);
        return j !== undefined && mapJobStatus(j)?.status === 'Succeeded';
      });
      assert.ok(inf.list().some((j) => j.metadata?.name === first.name));

      // Unmanaged Jobs are not seen (the selector reaches list and watch).
      const stranger = jobFor(script('print(1)'));
      const labels = { ...stranger.job.metadata?.labels, 'app.kubernetes.io/managed-by': 'someone-else' };
      await createJobsApi(kc).create({ ...stranger.job, metadata: { ...stranger.job.metadata, labels } });

      // 410 Gone: client-node relists on its own.
      sim.faults.forceGone();
      const second = jobFor(script('print("two")'));
      await api.create(second.job);
      await waitFor('seen after 410', async () => seen.has(second.name));

      // A watch that dies plus a failing list: client-node stops; we restart it.
      const removeCut = sim.faults.cutWatches({
        path: '/apis/batch/v1/namespaces/pipelines/jobs',
        afterEvents: 0,
        afterMs: 10,
        mode: 'destroy',
        times: 2,
      });
      const removeErr = sim.faults.error(500, {
        path: '/apis/batch/v1/namespaces/pipelines/jobs',
        method: 'GET',
        times: 3,
      });
      sim.faults.forceGone();
      const third = jobFor(script('print("three")'));
      await api.create(third.job);
      await waitFor('seen after errors', async () => seen.has(third.name), 20_000);
      removeCut();
      removeErr();
      assert.ok(errors.length > 0, 'the injected errors reached onError (and the informer was restarted)');

      assert.equal(await api.delete(NS, first.name), 'deleted');
      await waitFor('delete seen', async () => deleted.has(first.name));
      assert.equal(seen.has(stranger.name), false);
      assert.ok(
        [...seen.values()].every((j) => j.metadata?.labels?.[LABEL_PIPELINE_ID] !== undefined),
        'only managed jobs',
      );
    } finally {
      await inf.stop();
    }
  });

  it('recovers from a list that hangs (list timeout) and from a watch that hangs (watchdog)', async () => {
    const names = new Set<string>();
    const removeList = sim.faults.latency(5_000, {
      path: '/apis/batch/v1/namespaces/pipelines/jobs',
      method: 'GET',
      watch: false,
      times: 1,
    });
    const inf = startInformer<V1Job>(kc, {
      kind: 'jobs',
      namespace: NS,
      labelSelector: MANAGED_SELECTOR,
      logger: quiet,
      onChange: (j) => names.add(j.metadata?.name ?? ''),
      onDelete: () => {},
      backoff: { initialMs: 20, maxMs: 100 },
      listTimeoutMs: 200,
      watchdogMs: 300,
    });
    try {
      await inf.synced;
      removeList();
      const removeWatch = sim.faults.latency(5_000, {
        path: '/apis/batch/v1/namespaces/pipelines/jobs',
        watch: true,
        times: 1,
      });
      sim.faults.forceGone();
      const { job, name } = jobFor(script('print(1)'));
      await api.create(job);
      await waitFor('seen after a hung watch', async () => names.has(name), 3_000);
      removeWatch();
    } finally {
      await inf.stop();
    }
  });

  it('stop() ends the informer', async () => {
    const seen: string[] = [];
    const inf = startInformer<V1Pod>(kc, {
      kind: 'pods',
      namespace: NS,
      labelSelector: MANAGED_SELECTOR,
      logger: quiet,
      onChange: (p) => seen.push(p.metadata?.name ?? ''),
      onDelete: () => {},
    });
    await inf.synced;
    await inf.stop();
    const before = seen.length;
    const { job, name } = jobFor(script('print(1)'));
    await api.create(job);
    await terminal(name);
    assert.equal(seen.length, before);
  });
});

describe('informer against kube-sim answering as the real server (issue 10)', () => {
  it('keeps working across a watch resumed after the history moved on, and sees a Job deleted with the default policy (200, Warning, orphan finalizer) go', async () => {
    // A tiny watch history, so a few events push the informer's resourceVersion out of it.
    const small = await startKubeSim({ watchHistory: 4, mode: 'fast', fast: { durationMs: 10 } });
    const skc = loadKubeConfig({ kubeconfigYaml: small.kubeconfig });
    const sapi = createJobsApi(skc);
    const seen = new Map<string, V1Job>();
    const deleted = new Set<string>();
    const inf = startInformer<V1Job>(skc, {
      kind: 'jobs',
      namespace: NS,
      labelSelector: MANAGED_SELECTOR,
      logger: quiet,
      onChange: (j) => seen.set(j.metadata?.name ?? '', j),
      onDelete: (j) => deleted.add(j.metadata?.name ?? ''),
      backoff: { initialMs: 20, maxMs: 200 },
    });
    try {
      await inf.synced;
      // Cut the informer's watch; while it is away, more events than the history holds.
      const removeCut = small.faults.cutWatches({
        path: '/apis/batch/v1/namespaces/pipelines/jobs',
        afterEvents: 0,
        afterMs: 10,
        mode: 'end',
        times: 1,
      });
      const { job, name } = jobFor(script('print(1)'));
      await sapi.create(job);
      // Resumed from its resourceVersion (or relisted after a 410 if the history moved past it).
      await waitFor('the Job created while the watch was away is seen', async () => seen.has(name));
      removeCut();

      // The default delete (no propagationPolicy) answers 200 with the Job, deletionTimestamp and the
      // orphan finalizer, and a Warning; the informer sees it terminating, then deleted.
      const r = await fetch(`${small.url}/apis/batch/v1/namespaces/${NS}/jobs/${name}`, { method: 'DELETE' });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('warning') ?? '', /child pods are preserved by default/);
      // (The terminating version may be missed: after a 410 client-node waits ~1 s before it
      // watches again, and an informer only promises the latest state.)
      await waitFor('delete seen', async () => deleted.has(name));
      const again = jobFor(script('print(2)'));
      await sapi.create(again.job);
      await waitFor('still watching', async () => seen.has(again.name));
    } finally {
      await inf.stop();
      await small.stop();
    }
  });
});
