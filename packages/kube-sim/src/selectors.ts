// Label and field selectors, parsed once per request and matched per object.
import { badRequest } from './status.ts';

export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'gt' | 'lt'; value: number };

export type LabelSelector = LabelRequirement[];

const KEY_RE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Split on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(key: string, raw: string): string {
  if (!KEY_RE.test(key) || key.length > 317) {
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  }
  return key;
}

function checkValue(v: string, raw: string): string {
  if (!VALUE_RE.test(v) || v.length > 63) {
    throw badRequest(`unable to parse requirement: invalid label value: "${v}" in "${raw}"`);
  }
  return v;
}

export function parseLabelSelector(input: string | null | undefined): LabelSelector {
  const sel: LabelSelector = [];
  if (!input || input.trim() === '') return sel;
  for (const part of splitTop(input)) {
    const raw = part.trim();
    if (raw === '') throw badRequest(`unable to parse requirement: found '', expected: identifier`);
    let m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(raw);
    if (m) {
      const key = checkKey(m[1] ?? '', raw);
      const values = (m[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
        .map((v) => checkValue(v, raw));
      sel.push({ key, op: m[2] === 'in' ? 'in' : 'notin', values });
      continue;
    }
    m = /^([^=!<>\s]+)\s*(==|!=|=|<|>)\s*(.*)$/.exec(raw);
    if (m) {
      const key = checkKey(m[1] ?? '', raw);
      const op = m[2];
      const value = (m[3] ?? '').trim();
      if (op === '<' || op === '>') {
        const n = Number(value);
        if (!Number.isInteger(n)) throw badRequest(`unable to parse requirement: invalid integer "${value}"`);
        sel.push({ key, op: op === '<' ? 'lt' : 'gt', value: n });
      } else {
        sel.push({ key, op: op === '!=' ? 'neq' : 'eq', value: checkValue(value, raw) });
      }
      continue;
    }
    if (raw.startsWith('!')) {
      sel.push({ key: checkKey(raw.slice(1).trim(), raw), op: 'notexists' });
      continue;
    }
    sel.push({ key: checkKey(raw, raw), op: 'exists' });
  }
  return sel;
}

export function matchLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of sel) {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'eq':
        if (v !== r.value) return false;
        break;
      case 'neq':
        if (v === r.value) return false;
        break;
      case 'in':
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (v === undefined) return false;
        break;
      case 'notexists':
        if (v !== undefined) return false;
        break;
      case 'gt':
      case 'lt': {
        if (v === undefined) return false;
        const n = Number(v);
        if (!Number.isInteger(n)) return false;
        if (r.op === 'gt' ? !(n > r.value) : !(n < r.value)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}
export type FieldSelector = FieldRequirement[];

function unescapeField(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** Split on unescaped commas. */
function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseFieldSelector(
  input: string | null | undefined,
  supported: readonly string[],
): FieldSelector {
  const sel: FieldSelector = [];
  if (!input || input.trim() === '') return sel;
  for (const part of splitEscaped(input, ',')) {
    const raw = part.trim();
    const m = /^([^=!]+?)\s*(==|!=|=)(.*)$/.exec(raw);
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${raw}'`);
    const field = (m[1] ?? '').trim();
    if (!supported.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    sel.push({ field, op: m[2] === '!=' ? 'neq' : 'eq', value: unescapeField(m[3] ?? '') });
  }
  return sel;
}

export function matchFields(sel: FieldSelector, get: (field: string) => string): boolean {
  for (const r of sel) {
    const v = get(r.field);
    if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** Read a dotted path ("involvedObject.name") as the string the field selector compares to. */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  return String(cur);
}
