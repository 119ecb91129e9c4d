/** `{{ name }}` markers. Anything between `{{` and `}}` counts, so malformed markers are caught too. */
const MARKER = /\{\{([^{}]*)\}\}/g;
const KEY = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/;

export interface Placeholder {
  raw: string;
  /** null when the marker is not a valid `{{identifier}}`. */
  key: string | null;
}

export function placeholdersIn(text: string): Placeholder[] {
  return [...text.matchAll(MARKER)].map((m) => ({ raw: m[0], key: KEY.exec(m[1] ?? '')?.[1] ?? null }));
}

/**
 * Replaces every marker in one pass: a substituted value is never scanned again, so a config value
 * holding `{{x}}` stays literal. `resolve` returns undefined for an unknown key.
 */
export function substitute(
  text: string,
  resolve: (key: string) => string | undefined,
): { ok: true; value: string } | { ok: false; unresolved: string } {
  let unresolved: string | null = null;
  const value = text.replace(MARKER, (raw: string, inner: string) => {
    const key = KEY.exec(inner)?.[1];
    const v = key === undefined ? undefined : resolve(key);
    if (v === undefined) {
      unresolved ??= raw;
      return raw;
    }
    return v;
  });
  return unresolved === null ? { ok: true, value } : { ok: false, unresolved };
}
