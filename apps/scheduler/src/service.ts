import { CONSUMERS, PipelineQueued } from '@po/contracts';
import { CHANNELS, listen } from '@po/db';
import { bootService, type ServiceConfig } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { Scheduler } from './scheduler.ts';

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
  },
  tracing: Tracing,
): Promise<void> {
  const ctx = await bootService('scheduler', config);
  ctx.lifecycle.add('tracing', tracing.shutdown);
  const scheduler = new Scheduler({
    db: ctx.db,
    subjects: ctx.subjects,
    logger: ctx.logger,
    metrics: ctx.metrics,
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
  scheduler.start();
  ctx.lifecycle.add('scheduler', () => scheduler.stop());
  // A finished attempt frees its slot: the database says so at commit, and the next pass runs now.
  const slots = listen({
    connectionString: config.DATABASE_URL,
    channel: CHANNELS.slotFreed,
    applicationName: 'scheduler',
    onNotify: () => void scheduler.admitNow().catch(() => {}),
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
  ctx.logger.info('scheduler started');
  await ctx.lifecycle.handleSignals();
}
