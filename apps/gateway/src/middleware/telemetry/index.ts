import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isServerError, pipelineAttributes } from '@po/telemetry';
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from '../../env.ts';
import type { Logger } from '../../types.ts';

const tracer = trace.getTracer('gateway');

/** The matched route template (`/pipelines/:id`), or `unmatched`: never the raw path in a span name. */
export function routeOf(c: Context<AppEnv>): string {
  const route = routePath(c);
  return route === '/*' || route === '' ? 'unmatched' : route;
}

/**
 * One SERVER span per request, per the OTel HTTP conventions (`{method} {http.route}`, `url.path`,
 * `url.scheme`; only a 5xx answer is an error — a 4xx is the client's), continuing the caller's
 * `traceparent`; and one JSON log line per request with the same fields the other services use. The
 * Authorization header and API keys are never recorded.
 */
export function serverTelemetry(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => {
      if (k === 'traceparent' || k === 'tracestate') headers[k] = v;
    });
    const parent = propagation.extract(context.active(), headers);
    const url = new URL(c.req.url);
    const method = c.req.method;
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': method,
          'url.path': url.pathname,
          'url.scheme': url.protocol.replace(/:$/, ''),
          ...(url.search ? { 'url.query': url.search.slice(1) } : {}),
          'server.address': url.hostname,
          ...(url.port ? { 'server.port': Number(url.port) } : {}),
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const route = routeOf(c);
      const status = c.res.status;
      const tenant = c.get('principal')?.tenantId;
      const pipelineId = route.startsWith('/pipelines/:id') ? c.req.param('id') : undefined;
      span.updateName(`${method} ${route}`);
      span.setAttributes({
        'http.route': route,
        'http.response.status_code': status,
        ...pipelineAttributes({ tenant, pipelineId }),
      });
      if (isServerError(status)) {
        if (c.error) span.recordException(c.error);
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR, message: c.error?.message ?? String(status) });
      }
      span.end();
      const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
      const line = {
        method,
        route,
        status,
        duration_ms: durationMs,
        tenant: tenant ?? null,
        request_id: c.get('requestId'),
        trace_id: span.spanContext().traceId,
        ...(pipelineId ? { pipeline_id: pipelineId } : {}),
      };
      if (isServerError(status)) logger.error({ ...line, err: c.error }, 'request');
      else logger.info(line, 'request');
    }
  };
}
