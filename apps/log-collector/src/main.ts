// First (a bare import: never reordered): tracing starts before anything (@po/runtime) loads `pg`.
import './instrument.ts';
import { commonEnv, kubeEnv, opsPort, parseConfig } from '@po/runtime';
import { z } from 'zod';
import { tracing } from './instrument.ts';

const config = parseConfig(
  z.object({
    ...commonEnv,
    ...kubeEnv,
    OPS_PORT: opsPort(9104),
    /** Per pipeline, summed over attempts; beyond it a truncation marker is stored. */
    LOG_CAP_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    /** Deliveries to try reading logs before the Job is deleted without them (the reason is recorded). */
    LOG_CAPTURE_MAX_TRIES: z.coerce.number().int().min(1).max(50).default(8),
    /** From an attempt's end: time to read its logs before its Job is deleted without them (recorded). */
    LOG_CAPTURE_BUDGET_SECONDS: z.coerce.number().min(1).max(3600).default(30),
    /** The same for a cancelled attempt: its workload is still running and must stop within seconds. */
    LOG_CANCEL_CAPTURE_BUDGET_SECONDS: z.coerce.number().min(0).max(60).default(2),
    /** At most this long for the live tail of an ended pod to store its last lines before the capture. */
    LOG_TAIL_SETTLE_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
    /**
     * A pod's live tail attaches once its container has run this long (0: at once), or when the pod is
     * being deleted; a pod that ends sooner is read once by the final capture.
     */
    LOG_LIVE_TAIL_AFTER_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    /**
     * Live tails (open log streams) at most: a pod due one beyond it waits for a free one, oldest first,
     * and is read whole when it ends (or tailed at once when it is being deleted). Each open tail holds
     * a connection and its buffers; 10,000 running pods held ~0.5 GB (docs/BENCHMARKS.md).
     */
    LOG_LIVE_TAILS_MAX: z.coerce.number().int().min(1).max(100_000).default(500),
    LOG_COLLECTOR_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  }),
  process.env,
);
const { runLogCollector } = await import('./service.ts');
await runLogCollector(config, tracing);
