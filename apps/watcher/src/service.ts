import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { createJobsApi, loadKubeConfig, startManagedInformer } from '@po/kube';
import { bootService, type ServiceConfig } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { Watcher } from './watcher.ts';

export interface WatcherConfig extends ServiceConfig {
  KUBECONFIG?: string | undefined;
  K8S_NAMESPACE: string;
  WATCHER_JOB_APPEAR_TIMEOUT_SECONDS: number;
  WATCHER_JOB_CREATE_REQUESTS: number;
  WATCHER_RESYNC_SECONDS: number;
}

export async function runWatcher(config: WatcherConfig, tracing: Tracing): Promise<void> {
  const ctx = await bootService('watcher', config);
  ctx.lifecycle.add('tracing', tracing.shutdown);
  const kc = loadKubeConfig(config.KUBECONFIG ? { kubeconfigPath: config.KUBECONFIG } : {});
  const api = createJobsApi(kc);
  const watcher = new Watcher({
    db: ctx.db,
    subjects: ctx.subjects,
    logger: ctx.logger,
    metrics: ctx.metrics,
    namespace: config.K8S_NAMESPACE,
    // Read only after start(), once both informers below have synced.
    caches: { jobs: () => jobs.list(), job: (name) => jobs.get(name) },
    readJob: (name) => api.get(config.K8S_NAMESPACE, name),
    policy: {
      jobAppearTimeoutMs: config.WATCHER_JOB_APPEAR_TIMEOUT_SECONDS * 1000,
      maxCreateRequests: config.WATCHER_JOB_CREATE_REQUESTS,
    },
    resyncMs: config.WATCHER_RESYNC_SECONDS * 1000,
  });
  // The informers feed the watcher from their first event; it decides nothing until both have listed.
  const pods = startManagedInformer<V1Pod>(kc, 'pods', config.K8S_NAMESPACE, ctx.logger, {
    onChange: (pod) => watcher.podChanged(pod),
    onDelete: (pod) => watcher.podDeleted(pod),
  });
  const jobs = startManagedInformer<V1Job>(kc, 'jobs', config.K8S_NAMESPACE, ctx.logger, {
    onChange: (job) => watcher.jobChanged(job),
    onDelete: (job) => watcher.jobDeleted(job),
  });
  ctx.lifecycle.add('informers', async () => {
    await Promise.all([jobs.stop(), pods.stop()]);
  });
  ctx.lifecycle.add('watcher', () => watcher.stop());
  let ready = false;
  ctx.checks.informers = async () => {
    if (!ready) throw new Error('informers not synced, or the first reconcile pass not done');
  };
  // Invariant 9: decide only once both informers have completed their initial list.
  await Promise.all([jobs.synced, pods.synced]);
  await watcher.start();
  ready = true;
  ctx.logger.info('watcher started');
  await ctx.lifecycle.handleSignals();
}
