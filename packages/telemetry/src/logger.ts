import { trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Fields that may hold a credential: never written, at the top level or one level down. */
const SECRET_FIELDS = ['authorization', 'apiKey', 'api_key', 'password', 'token', 'secret', 'cookie'];
export const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'headers.authorization',
  '*.headers.authorization',
];

/**
 * JSON logs with the active trace and span ids, so a log line leads to its trace. The shared field
 * names are `pipeline_id`, `tenant`, `attempt`, `trace_id`; secrets (API keys, Authorization) are
 * censored whatever a caller passes.
 */
export function createLogger(opts: {
  service: string;
  level?: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      name: opts.service,
      level: opts.level ?? 'info',
      base: { service: opts.service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin() {
        const ctx = trace.getActiveSpan()?.spanContext();
        return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
      },
    },
    opts.destination ?? pino.destination(1),
  );
}
