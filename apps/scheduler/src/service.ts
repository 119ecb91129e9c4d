import { CONSUMERS, PipelineQueued } from '@po/contracts';
import { CHANNELS, listen, queueDepth } from '@po/db';
import { bootService, daysToSeconds, type ServiceConfig } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { RetentionSweeper } from './retention.ts';
import { Scheduler } from './scheduler.ts';

interface RetentionConfig {
  RETENTION_PIPELINES_DAYS: number;
  RETENTION_LOGS_DAYS: number;
  RETENTION_OUTBOX_DAYS: number;
  RETENTION_AUDIT_DAYS: number;
  RETENTION_SWEEP_INTERVAL_SECONDS: number;
  RETENTION_BATCH: number;
}

export async function runScheduler(
  config: ServiceConfig & {
    SCHEDULER_MAX_RUNNING: number;
    SCHEDULER_BATCH: number;
    SCHEDULER_POLL_MS: number;
    SCHEDULER_QUEUE_TIMEOUT_SECONDS: number;
    TENANT_MAX_RUNNING: number;
    TENANT_MAX_CPU: number | undefined;
    TENANT_MAX_MEMORY: number | undefined;
    SCHEDULER_MAX_CPU: number | undefined;
    SCHEDULER_MAX_MEMORY: number | undefined;
    SCHEDULER_AGING_SECONDS: number;
  } & RetentionConfig,
  tracing: Tracing,
): Promise<void> {
  const ctx = await bootService('scheduler', config);
  ctx.lifecycle.add('tracing', tracing.shutdown);
  const scheduler = new Scheduler({
    db: ctx.db,
    subjects: ctx.subjects,
    logger: ctx.logger,
    metrics: ctx.metrics,
    pipelineMetrics: ctx.pipelineMetrics,
    maxRunning: config.SCHEDULER_MAX_RUNNING,
    tenantMaxRunning: config.TENANT_MAX_RUNNING,
    tenantMaxCpuMillis: config.TENANT_MAX_CPU,
    tenantMaxMemoryBytes: config.TENANT_MAX_MEMORY,
    maxCpuMillis: config.SCHEDULER_MAX_CPU,
    maxMemoryBytes: config.SCHEDULER_MAX_MEMORY,
    agingSeconds: config.SCHEDULER_AGING_SECONDS,
    queueTimeoutSeconds: config.SCHEDULER_QUEUE_TIMEOUT_SECONDS,
    batch: config.SCHEDULER_BATCH,
    pollMs: config.SCHEDULER_POLL_MS,
  });
  // Computed when scraped: one grouped read of the queue, whatever its length.
  ctx.metrics.gauge(
    'queue_depth',
    'Pipelines waiting for admission, by priority and tenant',
    ['priority', 'tenant'],
    async (g) => {
      const rows = await queueDepth(ctx.db);
      g.reset();
      for (const r of rows) g.set({ priority: r.priority, tenant: r.tenant }, r.count);
    },
  );
  scheduler.start();
  ctx.lifecycle.add('scheduler', () => scheduler.stop());
  // A finished attempt frees its slot: the database says so at commit, and the next pass runs now.
  const slots = listen({
    connectionString: config.DATABASE_URL,
    channel: CHANNELS.slotFreed,
    applicationName: 'scheduler',
    onNotify: () => void scheduler.slotFreed().catch(() => {}),
    onError: (err) => ctx.logger.warn({ err }, 'slot listener lost; reconnecting'),
  });
  ctx.lifecycle.add('slot listener', slots.stop);
  // The message only says "something was queued"; the queue itself is the pipelines table.
  ctx.consume({
    stream: 'commands',
    consumer: CONSUMERS.scheduler,
    schema: PipelineQueued,
    concurrency: 8,
    handler: async () => {
      await scheduler.admitNow();
    },
  });
  // The scheduler also sweeps what retention lets go (any number of replicas may: SKIP LOCKED batches).
  const retention = new RetentionSweeper({
    db: ctx.db,
    logger: ctx.logger.child({ component: 'retention' }),
    metrics: ctx.metrics,
    policy: {
      pipelines: daysToSeconds(config.RETENTION_PIPELINES_DAYS),
      logs: daysToSeconds(config.RETENTION_LOGS_DAYS),
      outbox: daysToSeconds(config.RETENTION_OUTBOX_DAYS),
      audit: daysToSeconds(config.RETENTION_AUDIT_DAYS),
    },
    batch: config.RETENTION_BATCH,
    maxBatchesPerPass: 50,
    intervalMs: config.RETENTION_SWEEP_INTERVAL_SECONDS * 1000,
  });
  retention.start();
  ctx.lifecycle.add('retention', () => retention.stop());
  ctx.logger.info('scheduler started');
  await ctx.lifecycle.handleSignals();
}
