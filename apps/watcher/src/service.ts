import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { loadKubeConfig, startManagedInformer } from '@po/kube';
import { bootService, type ServiceConfig } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { Watcher } from './watcher.ts';

export interface WatcherConfig extends ServiceConfig {
  KUBECONFIG?: string | undefined;
  K8S_NAMESPACE: string;
}

export async function runWatcher(config: WatcherConfig, tracing: Tracing): Promise<void> {
  const ctx = await bootService('watcher', config);
  ctx.lifecycle.add('tracing', tracing.shutdown);
  const kc = loadKubeConfig(config.KUBECONFIG ? { kubeconfigPath: config.KUBECONFIG } : {});
  const watcher = new Watcher({
    db: ctx.db,
    subjects: ctx.subjects,
    logger: ctx.logger,
    metrics: ctx.metrics,
    namespace: config.K8S_NAMESPACE,
  });
  const pods = startManagedInformer<V1Pod>(kc, 'pods', config.K8S_NAMESPACE, ctx.logger, {
    onChange: (pod) => watcher.podChanged(pod),
    onDelete: (pod) => watcher.podDeleted(pod),
  });
  const jobs = startManagedInformer<V1Job>(kc, 'jobs', config.K8S_NAMESPACE, ctx.logger, {
    onChange: (job) => watcher.jobChanged(job),
    onDelete: (job) => watcher.jobDeleted(job),
  });
  watcher.attach({ jobs: () => jobs.list(), job: (name) => jobs.get(name) });
  ctx.lifecycle.add('informers', async () => {
    await Promise.all([jobs.stop(), pods.stop()]);
  });
  ctx.lifecycle.add('watcher', () => watcher.stop());
  let synced = false;
  ctx.checks.informers = async () => {
    if (!synced) throw new Error('informers not synced');
  };
  await Promise.all([jobs.synced, pods.synced]);
  synced = true;
  // Invariant 4: after the first list, reconcile both ways.
  await watcher.reconcileAll();
  ctx.logger.info('watcher started');
  await ctx.lifecycle.handleSignals();
}
