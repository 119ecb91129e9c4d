/** What every answer must be, whatever was asked: the fuzz suite's assertions. */
import { ERROR_TYPES, type ErrorType } from '@po/contracts';

/** The seed's kinds a status may carry (431 and 413: a payload or header block too large). */
const KINDS_OF_STATUS: Record<number, ErrorType[]> = {
  400: ['InvalidConfig', 'TemplateError'],
  401: ['Unauthorized'],
  403: ['Forbidden'],
  404: ['NotFound'],
  408: ['Timeout'],
  409: ['InvalidState'],
  413: ['PayloadTooLarge'],
  415: ['UnsupportedMediaType'],
  429: ['ResourceQuotaExceeded'],
  431: ['PayloadTooLarge'],
};

/** Why an answer breaks the contract, or null. `body` is the raw text. */
export function contractViolation(
  status: number,
  contentType: string | null,
  body: string,
  method = 'GET',
): string | null {
  if (status >= 500) return `status ${status}: ${body.slice(0, 300)}`;
  if (status < 400) return null;
  // A HEAD answer is a GET's head: its status and headers, never a body.
  if (method === 'HEAD')
    return contentType?.startsWith('application/json') ? null : `HEAD ${status}: ${contentType}`;
  const kinds = KINDS_OF_STATUS[status];
  if (!kinds) return `status ${status} is none of the seed's`;
  if (!contentType?.startsWith('application/json')) return `error ${status} with content-type ${contentType}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `error ${status} body is not JSON: ${body.slice(0, 200)}`;
  }
  const o = parsed as Record<string, unknown>;
  const keys = Object.keys(o ?? {})
    .sort()
    .join(',');
  if (keys !== 'error,type' || typeof o.error !== 'string' || o.error === '')
    return `error ${status} body is not {"error","type"}: ${body.slice(0, 200)}`;
  if (!(ERROR_TYPES as readonly string[]).includes(o.type as string) || !kinds.includes(o.type as ErrorType))
    return `error ${status} has type ${String(o.type)}, expected one of ${kinds.join('|')}`;
  return null;
}
