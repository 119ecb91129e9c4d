import { parseConfig } from '@po/runtime';
import { startTracing } from '@po/telemetry';
import { GatewayEnv } from './config.ts';

const config = parseConfig(GatewayEnv, process.env);
const tracing = startTracing({ service: 'gateway', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
// Imported after tracing starts so the pg instrumentation sees `pg` load.
const { runGateway } = await import('./server.ts');
await runGateway(config, tracing);
