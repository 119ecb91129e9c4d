export { createLogger, type Logger } from './logger.ts';
export {
  type Collect,
  type Counter,
  createMetrics,
  type Gauge,
  type Histogram,
  type Metrics,
  PIPELINE_SECONDS_BUCKETS,
  REQUEST_SECONDS_BUCKETS,
  type Registry,
} from './metrics.ts';
export { startTracing, type Tracing, type TracingOptions } from './tracing.ts';
