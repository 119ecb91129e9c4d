import { ApiException } from './client-node.ts';

export type KubeErrorClass =
  | { kind: 'retry'; delayMs: number; reason: string }
  | { kind: 'permanent'; reason: string };

/** A Job the policy refuses to run (image outside the allow-list, invalid resources or timeout). */
export class PolicyViolation extends Error {
  override name = 'PolicyViolation';
}

export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number };
}

const DEFAULT_RETRY_MS = 1_000;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The Status object of an ApiException; client-node 2.x puts it in `body` as a JSON string. */
export function kubeStatusOf(err: unknown): KubeStatus | null {
  if (!(err instanceof ApiException)) return null;
  const body: unknown = err.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return { code: err.code, message: body || err.message };
    }
  }
  if (typeof parsed === 'object' && parsed !== null) return { code: err.code, ...(parsed as KubeStatus) };
  return { code: err.code, message: err.message };
}

/** HTTP status of a Kubernetes error: ApiException.code, or statusCode on watch errors. */
export function httpStatusOf(err: unknown): number | null {
  if (err instanceof ApiException) return err.code;
  if (typeof err === 'object' && err !== null) {
    const sc = (err as { statusCode?: unknown }).statusCode;
    if (typeof sc === 'number') return sc;
  }
  return null;
}

export function isNotFound(err: unknown): boolean {
  return httpStatusOf(err) === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  return httpStatusOf(err) === 409 && (kubeStatusOf(err)?.reason ?? 'AlreadyExists') === 'AlreadyExists';
}

/** A delete's precondition (uid, resourceVersion) named another object than the one there: 409 Conflict. */
export function isPreconditionFailed(err: unknown): boolean {
  return httpStatusOf(err) === 409 && kubeStatusOf(err)?.reason === 'Conflict';
}

function retryAfterMs(err: unknown, status: KubeStatus | null): number | null {
  const headers = err instanceof ApiException ? err.headers : undefined;
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (raw !== undefined) {
    const secs = Number(raw);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const at = Date.parse(raw);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  const s = status?.details?.retryAfterSeconds;
  return typeof s === 'number' && s >= 0 ? s * 1000 : null;
}

function networkCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== 'object') break;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const name = (e as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return name;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Pod log endpoints answer 400 while the container has not started yet. */
const NOT_STARTED = /waiting to start|ContainerCreating|PodInitializing|is not available|not yet started/i;

/**
 * What the caller should do about a Kubernetes error: retry later (throttling, server trouble, network,
 * a container not started yet) or give up and tell the user (the request itself is wrong or forbidden).
 */
export function classifyKubeError(err: unknown): KubeErrorClass {
  const code = httpStatusOf(err);
  if (code !== null) {
    const status = kubeStatusOf(err);
    const message = status?.message ?? (err instanceof Error ? err.message : String(err));
    const reason = `${code}${status?.reason ? ` ${status.reason}` : ''}: ${message}`;
    const after = retryAfterMs(err, status);
    // A 2xx thrown as an error is an answer the client could not read (e.g. a 204 with no body).
    if (code >= 200 && code < 300)
      return { kind: 'retry', delayMs: DEFAULT_RETRY_MS, reason: `${code}: an empty answer` };
    if (code === 429 || code >= 500) return { kind: 'retry', delayMs: after ?? DEFAULT_RETRY_MS, reason };
    if (code === 410) return { kind: 'retry', delayMs: 0, reason };
    if (code === 401) return { kind: 'retry', delayMs: after ?? 5 * DEFAULT_RETRY_MS, reason };
    if (code === 400 && NOT_STARTED.test(message))
      return { kind: 'retry', delayMs: after ?? DEFAULT_RETRY_MS, reason };
    return { kind: 'permanent', reason };
  }
  const net = networkCode(err);
  if (net !== null) {
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'retry', delayMs: DEFAULT_RETRY_MS, reason: `network (${net}): ${message}` };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { kind: 'retry', delayMs: 5 * DEFAULT_RETRY_MS, reason: `unknown error: ${message}` };
}
