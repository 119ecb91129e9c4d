import { commonEnv, kubeEnv, opsPort, parseConfig } from '@po/runtime';
import { startTracing } from '@po/telemetry';
import { z } from 'zod';

const config = parseConfig(
  z.object({
    ...commonEnv,
    ...kubeEnv,
    OPS_PORT: opsPort(9103),
    /** An admitted attempt whose Job has not appeared this long is looked for on the API server. */
    WATCHER_JOB_APPEAR_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** How many times such a Job is asked for again before the pipeline fails. */
    WATCHER_JOB_CREATE_REQUESTS: z.coerce.number().int().min(0).max(10).default(2),
    /** Level-triggered resync: the safety net for missed events and the clock of bounded waits. */
    WATCHER_RESYNC_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  }),
  process.env,
);
const tracing = startTracing({ service: 'watcher', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const { runWatcher } = await import('./service.ts');
await runWatcher(config, tracing);
