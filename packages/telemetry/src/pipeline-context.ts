import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

const PIPELINE_ATTRIBUTES = createContextKey('po.pipeline.attributes');

/** `ctx` with pipeline attributes that every span started under it gets (merged with the outer ones). */
export function withPipelineAttributes(ctx: Context, attrs: Attributes): Context {
  const outer = (ctx.getValue(PIPELINE_ATTRIBUTES) as Attributes | undefined) ?? {};
  return ctx.setValue(PIPELINE_ATTRIBUTES, { ...outer, ...attrs });
}

/**
 * Sets pipeline attributes on the active span and on every span started inside `fn` (database,
 * Kubernetes and messaging spans included).
 */
export function inPipeline<T>(attrs: Attributes, fn: () => T): T {
  trace.getActiveSpan()?.setAttributes(attrs);
  return context.with(withPipelineAttributes(context.active(), attrs), fn);
}

/** Copies the context's pipeline attributes onto each span as it starts. */
export class PipelineAttributesProcessor implements SpanProcessor {
  onStart(span: Span, parent: Context): void {
    const attrs = parent.getValue(PIPELINE_ATTRIBUTES) as Attributes | undefined;
    if (attrs) span.setAttributes(attrs);
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The context a W3C traceparent names (ROOT when there is none). */
export function contextOf(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * Runs `fn` under a new span in the pipeline's trace (`traceparent`: its stored root), linked both
 * ways with the active span (the cancel or restart request, a trace of its own): the work the request
 * causes — the transition, its messages, the cleanup they trigger — continues the pipeline's trace.
 * Without a stored trace context the span simply continues the active one.
 */
export function inPipelineTrace<T>(
  name: string,
  traceparent: string | null | undefined,
  attrs: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer('@po/telemetry');
  const caller = trace.getActiveSpan();
  const parent = traceparent ? contextOf(traceparent) : context.active();
  const links: Link[] = caller ? [{ context: caller.spanContext() }] : [];
  return tracer.startActiveSpan(
    name,
    { attributes: attrs, links },
    withPipelineAttributes(parent, attrs),
    async (span) => {
      if (caller && caller.spanContext().traceId !== span.spanContext().traceId)
        caller.addLink({ context: span.spanContext() });
      return endSpan(span, fn);
    },
  );
}

/**
 * Runs `fn` for a started span and ends the span whatever happens: a throw is recorded on it
 * (exception event, status ERROR) and rethrown. The one way a unit of work closes its span.
 */
export async function endSpan<T>(span: Span, fn: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await fn(span);
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

/** A pipeline that ended Failed or Timeout marks the span that ended it as an error, with the reason. */
export function markPipelineOutcome(span: Span | undefined, status: string, reason: string | null): void {
  if (!span) return;
  span.setAttribute('po.pipeline.status', status);
  if (status === 'Failed' || status === 'Timeout')
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason ?? status });
}
