import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';
import { PipelineAttributesProcessor } from './pipeline-context.ts';

export interface TracingOptions {
  service: string;
  version?: string;
  /**
   * OTLP/HTTP base URL (e.g. http://jaeger:4318); spans go as OTLP JSON, which Jaeger and every
   * collector accept, and the pg and undici instrumentations are loaded. Unset: spans are still
   * created and propagated (W3C traceparent), never exported, and no instrumentation is loaded.
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

/** Loaded on demand: synchronously, so the instrumentations hook `pg` before anything imports it. */
const loadExporting = () =>
  createRequire(import.meta.url)('./export-tracing.ts') as typeof import('./export-tracing.ts');

/**
 * Starts tracing: a tracer provider, the AsyncLocalStorage context manager and the W3C propagators
 * (what @opentelemetry/sdk-node's NodeSDK set up, without loading its metric, log, gRPC, Zipkin
 * and Prometheus exporters). Call it before importing modules that load `pg`, so the CommonJS hook
 * sees them (each service's main.ts imports its service module dynamically after this).
 */
export function startTracing(opts: TracingOptions): Tracing {
  // First, so the exporters see the pipeline attributes it sets at start.
  const processors: SpanProcessor[] = [new PipelineAttributesProcessor(), ...(opts.spanProcessors ?? [])];
  const exporting = opts.otlpEndpoint ? loadExporting() : undefined;
  if (exporting && opts.otlpEndpoint) processors.push(exporting.otlpProcessor(opts.otlpEndpoint));
  exporting?.instrumentClients();
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.service,
      [ATTR_SERVICE_VERSION]: opts.version ?? '0.1.0',
    }),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(provider);
  // As NodeSDK did: the provider flushes and stops; the globals stay (late log lines keep their context).
  return { shutdown: () => provider.shutdown() };
}
