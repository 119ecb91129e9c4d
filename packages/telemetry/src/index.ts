export {
  ATTR_ATTEMPT,
  ATTR_PIPELINE_ID,
  ATTR_TEMPLATE,
  ATTR_TENANT,
  isServerError,
  k8sAttributes,
  type PipelineFacts,
  pipelineAttributes,
  traceIdOf,
} from './attributes.ts';
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
export {
  contextOf,
  endSpan,
  inPipeline,
  inPipelineTrace,
  markPipelineOutcome,
  PipelineAttributesProcessor,
  withPipelineAttributes,
} from './pipeline-context.ts';
export { startServiceTracing, startTracing, type Tracing, type TracingOptions } from './tracing.ts';
