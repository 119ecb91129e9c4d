import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';
import { k8sAttributes } from './attributes.ts';
import { PipelineAttributesProcessor } from './pipeline-context.ts';

export interface TracingOptions {
  service: string;
  version?: string;
  /**
   * OTLP/HTTP base URL (e.g. http://jaeger:4318); spans go as OTLP JSON, which Jaeger and every
   * collector accept. Unset: spans are still created and propagated, never exported.
   */
  otlpEndpoint?: string | undefined;
  /** Extra processors (tests use an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  shutdown(): Promise<void>;
}

const TracingEnv = z.object({ OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional() });

/**
 * Starts tracing for a service from its environment. A service's main.ts imports a module calling
 * this FIRST, before anything that loads `pg` (e.g. @po/runtime), so the pg instrumentation attaches.
 */
export function startServiceTracing(service: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  const parsed = TracingEnv.safeParse(env);
  if (!parsed.success) throw new Error('OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL');
  return startTracing({ service, otlpEndpoint: parsed.data.OTEL_EXPORTER_OTLP_ENDPOINT });
}

/**
 * Starts the OTel SDK. Call it before importing modules that load `pg`, so the CommonJS hook sees
 * them (each service's main.ts imports its service module dynamically after this).
 */
export function startTracing(opts: TracingOptions): Tracing {
  // First, so the exporters see the pipeline attributes it sets at start.
  const processors: SpanProcessor[] = [new PipelineAttributesProcessor(), ...(opts.spanProcessors ?? [])];
  if (opts.otlpEndpoint) {
    const url = `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    processors.push(
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 1000 }),
    );
  }
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.service,
      [ATTR_SERVICE_VERSION]: opts.version ?? '0.1.0',
    }),
    resourceDetectors: [],
    spanProcessors: processors,
    // Traces only. Left out, these lists make sdk-node build OTLP metric and log exporters from
    // environment defaults (localhost:4318): the undici instrumentation's metrics were then sent
    // nowhere every minute, and shutdown() retried that for ~8 s.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      // client-node 2.x talks to the API server through undici; skip long-lived watches.
      new UndiciInstrumentation({
        ignoreRequestHook: (req) => req.path.includes('watch=true'),
        // Kubernetes API calls name their namespace and object (low-cardinality span name: the verb).
        startSpanHook: (req) => k8sAttributes(req.path),
      }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
