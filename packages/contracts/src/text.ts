/**
 * Which strings the platform accepts from a caller (HTTP and NATS alike). PostgreSQL cannot store a
 * NUL in text or jsonb, nor a lone UTF-16 surrogate (it is not Unicode), so such a string would be a
 * 500 at insert time; control characters in a name or key are refused too. Where a string is data
 * (config values, template fields) tab, line feed and carriage return, U+2028 and U+2029 are allowed:
 * they are legitimate content, and every writer escapes them.
 */
import type { z } from 'zod';

/** `data`: free text (keeps \t \n \r, U+2028/U+2029); `name`: an identifier, key or name (no control at all). */
export type TextMode = 'data' | 'name';

// With the u flag, a surrogate range matches only unpaired halves (a pair is one code point).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// Cc: C0 controls, DEL and C1 controls; in data, all but tab, line feed and carriage return.
const CONTROL_IN_DATA = /[^\P{Cc}\t\n\r]/u;
const CONTROL_IN_NAME = /[\p{Cc}\u2028\u2029]/u;

const hex = (c: string) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a string is refused, or null when it is safe to store and show. */
export function unsafeText(s: string, mode: TextMode = 'data'): string | null {
  const surrogate = LONE_SURROGATE.exec(s);
  if (surrogate) return `contains a lone surrogate (${hex(surrogate[0])}): not valid Unicode`;
  if (s.includes('\0')) return 'contains a NUL character (U+0000)';
  const control = (mode === 'data' ? CONTROL_IN_DATA : CONTROL_IN_NAME).exec(s);
  if (control) return `contains a control character (${hex(control[0])})`;
  return null;
}

export interface UnsafeTextIssue {
  /** Where, from the walked value (empty: the value itself). */
  path: (string | number)[];
  message: string;
}

/**
 * The first unsafe string in a JSON value: object keys are names, string values are `mode`.
 * Iterative, so a deeply nested document cannot overflow the stack.
 */
export function findUnsafeText(value: unknown, mode: TextMode = 'data'): UnsafeTextIssue | null {
  // Parent links instead of a path per node: a 64 KiB body can nest some 30,000 levels deep.
  interface Node {
    v: unknown;
    key: string | number | undefined;
    parent: Node | undefined;
  }
  const pathOf = (n: Node): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let at: Node | undefined = n; at?.key !== undefined; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  const stack: Node[] = [{ v: value, key: undefined, parent: undefined }];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    const { v } = n;
    if (typeof v === 'string') {
      const why = unsafeText(v, mode);
      if (why) return { path: pathOf(n), message: why };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], key: i, parent: n });
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [k] of entries) {
        const why = unsafeText(k, 'name');
        if (why) return { path: pathOf(n), message: `the key ${JSON.stringify(k)} ${why}` };
      }
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i] as [string, unknown];
        stack.push({ v: x, key: k, parent: n });
      }
    }
  }
  return null;
}

/** A zod check: `z.string().superRefine(safeText('name'))`. */
export function safeText(mode: TextMode = 'data') {
  return (s: string, ctx: z.RefinementCtx): void => {
    const why = unsafeText(s, mode);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  };
}

/** A zod check for a whole JSON value (a config, a template): names the nested field. */
export function safeJson(mode: TextMode = 'data') {
  return (v: unknown, ctx: z.RefinementCtx): void => {
    const issue = findUnsafeText(v, mode);
    if (issue) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  };
}

/** PostgreSQL's integer and bigint: parameters bound for those columns must stay inside. */
export const INT4_MAX = 2 ** 31 - 1;
export const INT8_MAX = 2n ** 63n - 1n;
