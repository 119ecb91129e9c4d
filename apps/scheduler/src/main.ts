// First (a bare import: never reordered): tracing starts before anything (@po/runtime) loads `pg`.
import './instrument.ts';
import { commonEnv, opsPort, parseConfig, quotaEnv, retentionEnv } from '@po/runtime';
import { z } from 'zod';
import { tracing } from './instrument.ts';

const config = parseConfig(
  z.object({
    ...commonEnv,
    ...quotaEnv,
    ...retentionEnv,
    OPS_PORT: opsPort(9101),
    /** Global concurrency quota: pipelines admitted and not yet finished. */
    SCHEDULER_MAX_RUNNING: z.coerce.number().int().min(1).default(50),
    SCHEDULER_BATCH: z.coerce.number().int().min(1).max(1000).default(50),
    /** Safety net only: a queued pipeline or a freed slot wakes the scheduler at once. */
    SCHEDULER_POLL_MS: z.coerce.number().int().min(50).default(2000),
    /** A pipeline not admitted this long after it was queued ends Timeout; 0: it waits forever. */
    SCHEDULER_QUEUE_TIMEOUT_SECONDS: z.coerce.number().int().min(0).default(86_400),
  }),
  process.env,
);
const { runScheduler } = await import('./service.ts');
await runScheduler(config, tracing);
