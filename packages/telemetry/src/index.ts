export { createLogger, type Logger } from './logger.ts';
export { createMetrics, type Metrics, type Registry } from './metrics.ts';
export { startTracing, type Tracing, type TracingOptions } from './tracing.ts';
