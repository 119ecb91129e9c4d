/**
 * What a service loads only when its spans are exported (OTEL_EXPORTER_OTLP_ENDPOINT set): the OTLP
 * exporter and the pg and undici instrumentations. tracing.ts requires this module on demand, so a
 * service that exports nothing never loads them (issue 14, goal 4: idle memory).
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { k8sAttributes } from './attributes.ts';

/** The processor that sends spans to `<otlpEndpoint>/v1/traces` as OTLP JSON, once a second. */
export function otlpProcessor(otlpEndpoint: string): SpanProcessor {
  const url = `${otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
  return new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 1000 });
}

/** Database and Kubernetes client spans: each instrumentation hooks its module when constructed. */
export function instrumentClients(): void {
  new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true });
  // client-node 2.x talks to the API server through undici; skip long-lived watches.
  new UndiciInstrumentation({
    ignoreRequestHook: (req) => req.path.includes('watch=true'),
    // Kubernetes API calls name their namespace and object (low-cardinality span name: the verb).
    startSpanHook: (req) => k8sAttributes(req.path),
  });
}
