/**
 * Decides whether a JSON-Schema `pattern` provably keeps a value "argv-safe": anchored with ^…$ (no
 * top-level alternation), built only from ASCII literals, \d, \w, non-negated character classes,
 * groups and quantifiers, none of those atoms can produce a forbidden character, and no atom that can
 * come first admits `-` (a value starting with `-` would be read as an option: option injection).
 * Anything this small parser does not understand is treated as unsafe.
 */
const FORBIDDEN = new Set([...'\'"`;$\\|&<>(){}*?[]!#~^%', ' ', '\t', '\n', '\r', '\v', '\f']);

function safeChar(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return code > 0x20 && code < 0x7f && !FORBIDDEN.has(c);
}

function rangeSafe(lo: number, hi: number): boolean {
  if (lo > hi || lo <= 0x20 || hi >= 0x7f) return false;
  for (let c = lo; c <= hi; c++) if (FORBIDDEN.has(String.fromCharCode(c))) return false;
  return true;
}

const SAFE_CLASS_ESCAPES = new Set(['d', 'w']);
const SAFE_LITERAL_ESCAPES = new Set(['.', '-', '/', '_', ':', '+', '=', '@', ',']);

export function isArgSafePattern(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return false;
  try {
    new RegExp(pattern, 'u');
  } catch {
    return false;
  }
  const body = pattern.slice(1, -1);
  let i = 0;
  let depth = 0;
  let atom = false; // whether a quantifier may follow
  // Whether the next atom can be the value's first character (everything before it can match empty).
  let atStart = true;
  // atStart before the last atom, restored when a quantifier lets that atom match nothing.
  let prevAtStart = true;
  let dash = false; // whether the class just parsed admits '-'
  const groups: { start: boolean; nullable: boolean }[] = [];
  const DASH = 0x2d;

  const classBody = (): boolean => {
    // at body[i] just after '['
    if (body[i] === '^') return false;
    let prev: number | null = null;
    while (i < body.length && body[i] !== ']') {
      let c = body[i] ?? '';
      let code: number;
      if (c === '\\') {
        const e = body[i + 1] ?? '';
        i += 2;
        if (SAFE_CLASS_ESCAPES.has(e)) {
          prev = null;
          continue;
        }
        if (!SAFE_LITERAL_ESCAPES.has(e)) return false;
        c = e;
        code = e.charCodeAt(0);
        if (code === DASH) dash = true;
      } else if (c === '-' && prev !== null && body[i + 1] !== ']' && body[i + 1] !== undefined) {
        let hi = body[i + 1] ?? '';
        i += 2;
        if (hi === '\\') {
          hi = body[i] ?? '';
          i += 1;
          if (!SAFE_LITERAL_ESCAPES.has(hi)) return false;
        }
        if (!rangeSafe(prev, hi.charCodeAt(0))) return false;
        if (prev <= DASH && DASH <= hi.charCodeAt(0)) dash = true;
        prev = null;
        continue;
      } else {
        code = c.charCodeAt(0);
        i += 1;
      }
      if (!safeChar(c)) return false;
      if (code === DASH) dash = true;
      prev = code;
    }
    if (body[i] !== ']') return false;
    i += 1;
    return true;
  };

  /** An atom was read: it is first if atStart was; one that may be first must not admit '-'. */
  const sawAtom = (admitsDash: boolean): boolean => {
    if (atStart && admitsDash) return false;
    prevAtStart = atStart;
    atStart = false;
    atom = true;
    return true;
  };

  while (i < body.length) {
    const c = body[i] ?? '';
    if (c === '[') {
      i += 1;
      dash = false;
      if (!classBody() || !sawAtom(dash)) return false;
    } else if (c === '\\') {
      const e = body[i + 1] ?? '';
      if (!SAFE_CLASS_ESCAPES.has(e) && !SAFE_LITERAL_ESCAPES.has(e)) return false;
      i += 2;
      if (!sawAtom(e === '-')) return false;
    } else if (c === '(') {
      if (body[i + 1] === '?') {
        if (body[i + 2] !== ':') return false; // no lookarounds or named groups
        i += 3;
      } else i += 1;
      depth += 1;
      groups.push({ start: atStart, nullable: false });
      atom = false;
    } else if (c === ')') {
      const g = groups.pop();
      if (depth === 0 || g === undefined) return false;
      depth -= 1;
      i += 1;
      // The group can match empty when one of its alternatives can.
      g.nullable ||= g.start && atStart;
      prevAtStart = g.start;
      atStart = g.nullable;
      atom = true;
    } else if (c === '|') {
      const g = groups.at(-1);
      if (depth === 0 || g === undefined) return false; // ^a|b$ is not anchored at both ends
      g.nullable ||= g.start && atStart;
      atStart = g.start;
      i += 1;
      atom = false;
    } else if (c === '*' || c === '+' || c === '?') {
      if (!atom) return false;
      i += 1;
      if (body[i] === '?') i += 1;
      if (c !== '+') atStart = prevAtStart || atStart;
      atom = false;
    } else if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(body.slice(i));
      if (!atom || !m) return false;
      i += m[0].length;
      if (Number(m[1]) === 0) atStart = prevAtStart || atStart;
      atom = false;
    } else {
      if (!safeChar(c) || c === '.') return false;
      i += 1;
      if (!sawAtom(c === '-')) return false;
    }
  }
  return depth === 0;
}

/** A literal (e.g. an enum value) that carries none of the characters a pattern may not admit. */
export function isArgSafeLiteral(v: string): boolean {
  return v.length > 0 && !v.startsWith('-') && [...v].every(safeChar);
}
