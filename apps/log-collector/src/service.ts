import type { V1Pod } from '@kubernetes/client-node';
import { CONSUMERS, PipelineFinished } from '@po/contracts';
import { appendLogs } from '@po/db';
import {
  createJobsApi,
  followPodLog,
  loadKubeConfig,
  podLogReader,
  slimPod,
  startManagedInformer,
} from '@po/kube';
import { bootService, type ServiceConfig } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { LiveTail } from './live-tail.ts';
import { LogCollector } from './log-collector.ts';
import { PodsByJob, podsFromCache } from './pods-by-job.ts';

export interface LogCollectorConfig extends ServiceConfig {
  KUBECONFIG?: string | undefined;
  K8S_NAMESPACE: string;
  LOG_CAP_BYTES: number;
  LOG_CAPTURE_MAX_TRIES: number;
  LOG_CAPTURE_BUDGET_SECONDS: number;
  LOG_CANCEL_CAPTURE_BUDGET_SECONDS: number;
  LOG_TAIL_SETTLE_MS: number;
  LOG_LIVE_TAIL_AFTER_MS: number;
  LOG_LIVE_TAILS_MAX: number;
  LOG_COLLECTOR_CONCURRENCY: number;
}

export async function runLogCollector(config: LogCollectorConfig, tracing: Tracing): Promise<void> {
  const ctx = await bootService('log-collector', config);
  ctx.lifecycle.add('tracing', tracing.shutdown);
  const kc = loadKubeConfig(config.KUBECONFIG ? { kubeconfigPath: config.KUBECONFIG } : {});
  const kubeMetrics = ctx.instrumentKube(kc);
  const jobs = createJobsApi(kc);
  const readLog = podLogReader(kc);
  // The pod informer's cache by Job, for the capture (an API list only when it may be incomplete).
  const byJob = new PodsByJob();
  let synced = false;
  const logBytes = ctx.metrics.counter(
    'log_bytes_stored_total',
    'Bytes of pod log lines stored (live tail while the pod runs, capture after it ends)',
    ['source'],
  );
  const live = new LiveTail({
    logger: ctx.logger.child({ component: 'live-tail' }),
    follow: (ns, pod) => followPodLog(kc, ns, pod),
    attachAfterMs: config.LOG_LIVE_TAIL_AFTER_MS,
    maxTails: config.LOG_LIVE_TAILS_MAX,
    read: (ns, pod) => readLog(ns, pod),
    store: async (req) => {
      const r = await appendLogs(ctx.db, { ...req, capBytes: config.LOG_CAP_BYTES });
      logBytes.inc({ source: 'live' }, r.bytes);
    },
  });
  ctx.metrics.gauge(
    'log_live_tails',
    'Live log tails open, and running pods waiting for one (LOG_LIVE_TAILS_MAX)',
    ['state'],
    (g) => {
      const c = live.counts;
      g.set({ state: 'tailing' }, c.tailing);
      g.set({ state: 'waiting' }, c.waiting);
    },
  );
  const collector = new LogCollector({
    db: ctx.db,
    subjects: ctx.subjects,
    logger: ctx.logger,
    metrics: ctx.metrics,
    storedBytes: (bytes) => logBytes.inc({ source: 'capture' }, bytes),
    capBytes: config.LOG_CAP_BYTES,
    budget: {
      budgetMs: config.LOG_CAPTURE_BUDGET_SECONDS * 1000,
      cancelBudgetMs: config.LOG_CANCEL_CAPTURE_BUDGET_SECONDS * 1000,
      maxTries: config.LOG_CAPTURE_MAX_TRIES,
      settleMs: config.LOG_TAIL_SETTLE_MS,
    },
    listPods: (ns, job) => jobs.listPods(ns, job),
    cachedPods: (job, status) => podsFromCache(byJob.of(job), status, synced),
    readLog: (ns, pod) => readLog(ns, pod),
    storedWhole: (pod, ms) => live.storedWhole(pod, ms),
    settleTails: (id, attempt, readable, ms) => live.settle(id, attempt, readable, ms),
  });
  const pods = startManagedInformer<V1Pod>(kc, 'pods', config.K8S_NAMESPACE, ctx.logger, {
    onChange: (pod) => {
      byJob.changed(pod);
      live.podChanged(pod);
    },
    onDelete: (pod) => {
      byJob.deleted(pod);
      live.podDeleted(pod);
    },
    metrics: kubeMetrics,
    // What the capture, the cache-by-Job and the live tail read: identity, labels, annotations, status.
    transform: slimPod,
  });
  void pods.synced.then(() => {
    synced = true;
  });
  ctx.lifecycle.add('live-tail', async () => {
    await pods.stop();
    await live.stop();
  });
  ctx.consume({
    stream: 'events',
    consumer: CONSUMERS.logCollector,
    schema: PipelineFinished,
    concurrency: config.LOG_COLLECTOR_CONCURRENCY,
    handler: (msg, meta) => collector.capture(msg, meta.deliveryCount),
  });
  ctx.logger.info('log-collector started');
  await ctx.lifecycle.handleSignals();
}
