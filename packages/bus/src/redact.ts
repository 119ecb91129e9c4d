/**
 * What a dead letter may keep of a message (no secrets at rest where they do not belong): values of
 * credential-like keys are replaced, and the result is cut to a bounded size. Pure.
 */

/** Keys whose values are credentials wherever they appear (case-insensitive, `-`/`_` ignored). */
const SECRET_KEY =
  /^(api_?key|apikey|x_?api_?key|password|passwd|pass|secret|client_?secret|token|access_?token|refresh_?token|auth|authorization|cookie|credentials?|private_?key|nats_?password)$/i;
export const REDACTED = '[REDACTED]';
/** Dead-letter payloads are kept up to this many bytes. */
export const DEAD_LETTER_MAX_BYTES = 4096;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replaceAll('-', '_'));
}

/** A copy of `value` with every credential-like key's value replaced; `changed` when any was. */
export function redactValue(value: unknown): { value: unknown; changed: boolean } {
  let changed = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (isSecretKey(k)) {
        changed = true;
        out[k] = REDACTED;
      } else out[k] = walk(x, depth + 1);
    }
    return out;
  };
  return { value: walk(value, 0), changed };
}

/** In text that is not JSON: `"api_key": "…"`, `password=…`, `Bearer …` lose their values. */
const SECRET_IN_TEXT =
  /("?(?:api[_-]?key|apikey|password|passwd|secret|token|authorization)"?\s*[:=]\s*)("[^"]*"|[^\s,;&}]+)|(\bBearer\s+)[A-Za-z0-9._~+/=-]+/gi;

export function redactText(text: string): { text: string; changed: boolean } {
  let changed = false;
  const out = text.replace(SECRET_IN_TEXT, (_m, key: string | undefined, _v, bearer: string | undefined) => {
    changed = true;
    return key !== undefined ? `${key}"${REDACTED}"` : `${bearer ?? ''}${REDACTED}`;
  });
  return { text: out, changed };
}

export interface RedactedPayload {
  /** What the dead letter stores: redacted JSON (or text), at most DEAD_LETTER_MAX_BYTES bytes. */
  data: Uint8Array;
  /** A credential was removed. */
  redacted: boolean;
  /** The original size, when the stored copy was cut. */
  truncatedFrom?: number;
}

/** The payload a dead letter keeps of `data`. */
export function redactPayload(data: Uint8Array, maxBytes = DEAD_LETTER_MAX_BYTES): RedactedPayload {
  const text = new TextDecoder().decode(data);
  let out: string;
  let redacted: boolean;
  try {
    const r = redactValue(JSON.parse(text));
    out = r.changed ? JSON.stringify(r.value) : text;
    redacted = r.changed;
  } catch {
    const r = redactText(text);
    out = r.text;
    redacted = r.changed;
  }
  const bytes = new TextEncoder().encode(out);
  if (bytes.length <= maxBytes) return { data: bytes, redacted };
  // Cut on a character boundary (a partial UTF-8 sequence would decode as U+FFFD).
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { data: bytes.slice(0, end), redacted, truncatedFrom: data.length };
}
