import type { V1Job, V1Pod } from '@kubernetes/client-node';
import {
  createJobsApi,
  type JobsApi,
  type KubeConfig,
  type KubeMetrics,
  loadKubeConfig,
  slimJob,
  slimPod,
  startManagedInformer,
} from '@po/kube';
import { bootService, type ServiceConfig, type ServiceContext } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { registerOnce, startLeadership, type Term } from './leadership.ts';
import { Watcher } from './watcher.ts';

export interface WatcherConfig extends ServiceConfig {
  KUBECONFIG?: string | undefined;
  K8S_NAMESPACE: string;
  WATCHER_JOB_APPEAR_TIMEOUT_SECONDS: number;
  WATCHER_JOB_CREATE_REQUESTS: number;
  WATCHER_RESYNC_SECONDS: number;
  WATCHER_ORPHAN_GRACE_SECONDS: number;
  WATCHER_LEASE_NAME: string;
  WATCHER_LEASE_DURATION_SECONDS: number;
  WATCHER_RENEW_DEADLINE_SECONDS: number;
  WATCHER_RETRY_PERIOD_SECONDS: number;
}

export async function runWatcher(config: WatcherConfig, tracing: Tracing, identity: string): Promise<void> {
  const ctx = await bootService('watcher', config);
  ctx.lifecycle.add('tracing', tracing.shutdown);
  const kc = loadKubeConfig(config.KUBECONFIG ? { kubeconfigPath: config.KUBECONFIG } : {});
  const kubeMetrics = ctx.instrumentKube(kc);
  const api = createJobsApi(kc);
  const metrics = registerOnce(ctx.metrics);
  // Replicas elect one leader; only it watches and decides (see README, Scale-out).
  const leadership = startLeadership({
    kc,
    namespace: config.K8S_NAMESPACE,
    leaseName: config.WATCHER_LEASE_NAME,
    identity,
    logger: ctx.logger.child({ component: 'leader-election' }),
    leaseDurationMs: config.WATCHER_LEASE_DURATION_SECONDS * 1000,
    renewDeadlineMs: config.WATCHER_RENEW_DEADLINE_SECONDS * 1000,
    retryPeriodMs: config.WATCHER_RETRY_PERIOD_SECONDS * 1000,
    startTerm: () => startWatching({ ...ctx, metrics }, kc, api, config, kubeMetrics),
  });
  ctx.lifecycle.add('leader-election', leadership.stop);
  ctx.checks.leadership = leadership.ready;
  ctx.health.role = leadership.role;
  ctx.logger.info({ identity }, 'watcher started');
  await ctx.lifecycle.handleSignals();
}

/** The watching part, for one leadership term: informers over Jobs and pods feeding a new Watcher. */
function startWatching(
  ctx: Pick<ServiceContext, 'db' | 'subjects' | 'logger' | 'metrics' | 'pipelineMetrics'>,
  kc: KubeConfig,
  api: JobsApi,
  config: WatcherConfig,
  kubeMetrics: KubeMetrics,
): Term {
  const namespace = config.K8S_NAMESPACE;
  const watcher = new Watcher({
    db: ctx.db,
    subjects: ctx.subjects,
    logger: ctx.logger,
    metrics: ctx.metrics,
    pipelineMetrics: ctx.pipelineMetrics,
    namespace,
    // Read only after start(), once both informers below have synced.
    caches: { jobs: () => jobs.list(), job: (name) => jobs.get(name) },
    readJob: (name) => api.get(namespace, name),
    policy: {
      jobAppearTimeoutMs: config.WATCHER_JOB_APPEAR_TIMEOUT_SECONDS * 1000,
      maxCreateRequests: config.WATCHER_JOB_CREATE_REQUESTS,
      orphanGraceMs: config.WATCHER_ORPHAN_GRACE_SECONDS * 1000,
    },
    resyncMs: config.WATCHER_RESYNC_SECONDS * 1000,
  });
  // The informers feed the watcher from their first event; it decides nothing until both have listed.
  // Their caches keep identity and status only (slimPod/slimJob): what the watcher reads, at a fifth
  // of the memory per running pipeline.
  const pods = startManagedInformer<V1Pod>(kc, 'pods', namespace, ctx.logger, {
    onChange: (pod) => watcher.podChanged(pod),
    onDelete: (pod) => watcher.podDeleted(pod),
    metrics: kubeMetrics,
    transform: slimPod,
  });
  const jobs = startManagedInformer<V1Job>(kc, 'jobs', namespace, ctx.logger, {
    onChange: (job) => watcher.jobChanged(job),
    onDelete: (job) => watcher.jobDeleted(job),
    metrics: kubeMetrics,
    transform: slimJob,
  });
  let stopped = false;
  // Invariant 9: decide only once both informers have completed their initial list.
  const synced = (async () => {
    await Promise.all([jobs.synced, pods.synced]);
    if (stopped) return;
    await watcher.start();
    ctx.logger.info('watching: informers synced, first reconcile pass done');
  })();
  return {
    synced,
    stop: async () => {
      stopped = true;
      await watcher.stop();
      await Promise.all([jobs.stop(), pods.stop()]);
    },
  };
}
