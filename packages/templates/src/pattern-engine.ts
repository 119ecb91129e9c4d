import { RE2JS } from 're2js';

/**
 * Template `pattern`s run on every config a tenant sends, so they are compiled by RE2 (re2js, a pure
 * JavaScript port): matching takes time linear in the input, whatever the pattern. RE2 has no
 * backreferences or lookarounds; a pattern using them is refused when the template is registered.
 *
 * JSON Schema patterns are ECMA-262; RE2 spells a code point `\x{…}` where ECMA-262 spells `\uXXXX`
 * or `\u{…}`, so those escapes are rewritten first. Everything else is given to RE2 as written.
 */

export class PatternError extends Error {
  override name = 'PatternError';
}

const HEX4 = /^[0-9a-fA-F]{4}$/;
const BRACED = /^\{([0-9a-fA-F]{1,6})\}/;

/** ECMA-262 `\uXXXX` / `\u{X…}` escapes as RE2's `\x{…}`; an escaped backslash is left alone. */
export function toRe2Syntax(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = pattern[i + 1];
    if (next === 'u') {
      const four = pattern.slice(i + 2, i + 6);
      if (HEX4.test(four)) {
        out += `\\x{${four}}`;
        i += 5;
        continue;
      }
      const braced = BRACED.exec(pattern.slice(i + 2));
      if (braced?.[1] !== undefined) {
        out += `\\x{${braced[1]}}`;
        i += 1 + braced[0].length;
        continue;
      }
    }
    out += c + (next ?? '');
    i += 1;
  }
  return out;
}

/** Compiles a pattern with RE2; throws PatternError saying why RE2 refuses it. */
export function compilePattern(pattern: string): RE2JS {
  try {
    return RE2JS.compile(toRe2Syntax(pattern));
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, '');
    throw new PatternError(`not supported by the linear-time (RE2) engine: ${why}`);
  }
}

/**
 * ajv's `code.regExp`: every `pattern` ajv compiles goes through RE2. ajv shares compiled patterns
 * keyed by `toString()`, so each one must name its own pattern.
 */
export const re2Engine = Object.assign(
  (pattern: string, _flags: string) => {
    const re = compilePattern(pattern);
    return { test: (s: string) => re.test(s), toString: () => `re2:${pattern}` };
  },
  { code: 're2js' },
);
