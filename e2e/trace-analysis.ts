/** What an SRE checks in a pipeline's trace, over the spans an OTLP receiver got. */
import type { ReceivedSpan } from './otlp-receiver.ts';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const SERVER = 2;

export const hasUuid = (name: string): boolean => UUID.test(name);

/** A request that only reads, or the cancel/restart request itself: its own trace, by design. */
export function isRequestOwnTrace(s: ReceivedSpan): boolean {
  if (s.service !== 'gateway' || s.kind !== SERVER) return false;
  const method = String(s.attributes['http.request.method'] ?? '');
  const route = String(s.attributes['http.route'] ?? '');
  return method === 'GET' || /\/(cancel|restart)$/.test(route);
}

/** The spans about one pipeline (they carry its id) that belong to its lifecycle. */
export function lifecycleSpans(spans: readonly ReceivedSpan[], pipelineId: string): ReceivedSpan[] {
  return spans.filter((s) => s.attributes['po.pipeline.id'] === pipelineId && !isRequestOwnTrace(s));
}

export interface TraceShape {
  roots: ReceivedSpan[];
  /** Spans whose parent is not in the trace. */
  dangling: ReceivedSpan[];
  services: Set<string>;
}

export function shapeOf(trace: readonly ReceivedSpan[]): TraceShape {
  const ids = new Set(trace.map((s) => s.spanId));
  return {
    roots: trace.filter((s) => s.parentSpanId === ''),
    dangling: trace.filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId)),
    services: new Set(trace.map((s) => s.service)),
  };
}

export const describeSpans = (spans: readonly ReceivedSpan[]): string =>
  spans
    .map((s) => `  ${s.service}: ${s.name} [${s.traceId.slice(0, 8)} ${s.spanId}<-${s.parentSpanId}]`)
    .join('\n');
