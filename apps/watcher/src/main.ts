import { commonEnv, kubeEnv, opsPort, parseConfig } from '@po/runtime';
import { startTracing } from '@po/telemetry';
import { z } from 'zod';

const config = parseConfig(
  z.object({
    ...commonEnv,
    ...kubeEnv,
    OPS_PORT: opsPort(9103),
  }),
  process.env,
);
const tracing = startTracing({ service: 'watcher', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
const { runWatcher } = await import('./service.ts');
await runWatcher(config, tracing);
