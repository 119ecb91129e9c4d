// metadata.managedFields and server-side apply, as the API server's field manager keeps them: every
// write records which manager set which fields (FieldsV1), an Update takes the fields it changed
// from the others, and an Apply merges the applied configuration into the object, removes the
// fields its manager applied before and no longer does, and fails with a 409 listing the fields
// another manager owns with a different value unless forced.
//
// The schema is approximated: a list of objects with a `name` (containers, env, volumes…) merges by
// name, `conditions` by type, ownerReferences by uid, finalizers as a set; every other list is
// atomic. The sim's own controllers and kubelet write without recording fields.
import { ApiError } from './status.ts';
import { isRecord, now } from './types.ts';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** A field path as FieldsV1 keys ("f:spec", "k:{\"name\":\"main\"}", "v:\"x\"", "."), joined by NUL. */
type FieldSet = Set<string>;
const SEP = '\u0000';

/** metadata fields the field manager never tracks. */
const STRIPPED_META = new Set([
  'name',
  'namespace',
  'creationTimestamp',
  'selfLink',
  'uid',
  'generation',
  'managedFields',
  'resourceVersion',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

/** Fields that are maps (the map itself is a member of the set, ".", as well as its keys). */
const MAP_FIELDS = new Set(['labels', 'annotations', 'matchLabels', 'nodeSelector', 'limits', 'requests']);

function listKey(field: string, item: unknown): string | undefined {
  if (!isRecord(item)) return undefined;
  if (field === 'conditions' && typeof item.type === 'string')
    return `k:${JSON.stringify({ type: item.type })}`;
  if (field === 'ownerReferences' && typeof item.uid === 'string')
    return `k:${JSON.stringify({ uid: item.uid })}`;
  if (typeof item.name === 'string') return `k:${JSON.stringify({ name: item.name })}`;
  return undefined;
}

function isSetList(field: string): boolean {
  return field === 'finalizers';
}

function walk(value: unknown, prefix: string, field: string, out: FieldSet, top: boolean) {
  if (isRecord(value)) {
    if (MAP_FIELDS.has(field)) out.add(`${prefix}${SEP}.`);
    for (const [k, v] of Object.entries(value)) {
      if (top && (k === 'apiVersion' || k === 'kind')) continue;
      if (field === 'metadata' && prefix === 'f:metadata' && STRIPPED_META.has(k)) continue;
      if (v === undefined) continue;
      const p = prefix === '' ? `f:${k}` : `${prefix}${SEP}f:${k}`;
      const before = out.size;
      walk(v, p, k, out, false);
      if (out.size === before && !(isRecord(v) && Object.keys(v).length > 0)) out.add(p);
    }
    return;
  }
  if (Array.isArray(value) && value.length > 0) {
    if (isSetList(field) && value.every((x) => typeof x === 'string')) {
      for (const x of value) out.add(`${prefix}${SEP}v:${JSON.stringify(x)}`);
      return;
    }
    const keys = value.map((x) => listKey(field, x));
    if (keys.every((k) => k !== undefined)) {
      value.forEach((item, i) => {
        const p = `${prefix}${SEP}${keys[i]}`;
        out.add(`${p}${SEP}.`);
        walk(item, p, '', out, false);
      });
      return;
    }
  }
  out.add(prefix);
}

/** The set of fields an object (or an applied configuration) sets. */
export function fieldsOf(obj: unknown, withStatus = false): FieldSet {
  const out: FieldSet = new Set();
  if (!isRecord(obj)) return out;
  const o = withStatus ? obj : { ...obj, status: undefined };
  walk(o, '', '', out, true);
  // A leaf path recorded for a non-empty object that has members is redundant.
  return out;
}

/** FieldsV1 JSON from a set. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const path of [...set].sort()) {
    let node = root;
    for (const el of path.split(SEP)) {
      let next = node[el];
      if (!isRecord(next)) {
        next = {};
        node[el] = next;
      }
      node = next as Record<string, unknown>;
    }
  }
  return root;
}

/** A set from FieldsV1 JSON (leaves only: a path whose node is empty). */
export function fromFieldsV1(f: unknown, prefix = ''): FieldSet {
  const out: FieldSet = new Set();
  if (!isRecord(f)) return out;
  for (const [k, v] of Object.entries(f)) {
    const p = prefix === '' ? k : `${prefix}${SEP}${k}`;
    if (isRecord(v) && Object.keys(v).length > 0) for (const x of fromFieldsV1(v, p)) out.add(x);
    else out.add(p);
  }
  return out;
}

/** The value at a field path (undefined when absent). */
function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const el of path.split(SEP)) {
    if (el === '.') return cur;
    if (el.startsWith('f:')) cur = isRecord(cur) ? cur[el.slice(2)] : undefined;
    else if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
      cur = Array.isArray(cur)
        ? cur.find((x) => isRecord(x) && Object.entries(key).every(([k, v]) => x[k] === v))
        : undefined;
    } else if (el.startsWith('v:')) {
      const v: unknown = JSON.parse(el.slice(2));
      cur = Array.isArray(cur) && cur.includes(v) ? v : undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A field path printed as structured-merge-diff prints it: .spec.containers[name="main"].image */
export function printPath(path: string): string {
  let s = '';
  for (const el of path.split(SEP)) {
    if (el === '.') continue;
    if (el.startsWith('f:')) s += `.${el.slice(2)}`;
    else if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
      s += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (el.startsWith('v:')) s += `[=${el.slice(2)}]`;
  }
  return s;
}

function entriesOf(obj: Record<string, unknown>): ManagedFieldsEntry[] {
  const meta = obj.metadata;
  const mf = isRecord(meta) ? meta.managedFields : undefined;
  return Array.isArray(mf) ? (mf.filter(isRecord) as unknown as ManagedFieldsEntry[]) : [];
}

function sameEntry(e: ManagedFieldsEntry, manager: string, op: string, sub: string | undefined): boolean {
  return e.manager === manager && e.operation === op && (e.subresource ?? '') === (sub ?? '');
}

function setEntries(obj: Record<string, unknown>, entries: ManagedFieldsEntry[]) {
  const meta = obj.metadata as Record<string, unknown>;
  const kept = entries.filter((e) => Object.keys(e.fieldsV1).length > 0);
  if (kept.length > 0) meta.managedFields = kept;
  else delete meta.managedFields;
}

function entry(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  set: FieldSet,
  subresource: string | undefined,
): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = {
    manager,
    operation,
    apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(set),
  };
  if (subresource) e.subresource = subresource;
  return e;
}

/** Leaf paths whose value differs between two objects (or exists in one only). */
function changed(prev: unknown, next: unknown, withStatus: boolean): FieldSet {
  const a = fieldsOf(prev, withStatus);
  const b = fieldsOf(next, withStatus);
  const out: FieldSet = new Set();
  for (const p of b) {
    if (!a.has(p) || JSON.stringify(valueAt(prev, p)) !== JSON.stringify(valueAt(next, p))) out.add(p);
  }
  for (const p of a) if (!b.has(p)) out.add(p);
  return out;
}

/**
 * Record a non-apply write (create, update, patch) on `next`: the manager's Update entry gains the
 * fields it changed, which the other managers lose. `prev` is undefined for a create.
 */
export function recordUpdate(
  prev: Record<string, unknown> | undefined,
  next: Record<string, unknown>,
  manager: string,
  apiVersion: string,
  subresource?: string,
) {
  const withStatus = subresource === 'status';
  const entries = prev ? entriesOf(prev).map((e) => ({ ...e })) : [];
  const touched = prev ? changed(prev, next, withStatus) : fieldsOf(next, withStatus);
  if (touched.size === 0) {
    setEntries(next, entries);
    return;
  }
  const present = fieldsOf(next, true);
  const out: ManagedFieldsEntry[] = [];
  let mine: FieldSet = new Set();
  for (const e of entries) {
    const set = fromFieldsV1(e.fieldsV1);
    if (sameEntry(e, manager, 'Update', subresource)) {
      mine = set;
      continue;
    }
    for (const p of touched) set.delete(p);
    out.push({ ...e, fieldsV1: toFieldsV1(set) });
  }
  for (const p of touched) if (present.has(p)) mine.add(p);
  for (const p of [...mine]) if (!present.has(p)) mine.delete(p);
  out.push(entry(manager, 'Update', apiVersion, mine, subresource));
  setEntries(next, out);
}

/** The keys that identify list items when merging (matches listKey). */
function itemKey(field: string, item: unknown): string | undefined {
  return listKey(field, item);
}

/** Merge an applied configuration into the live object (applied values win). */
function mergeApplied(live: unknown, applied: unknown, field: string): unknown {
  if (isRecord(applied)) {
    const out: Record<string, unknown> = isRecord(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(out[k], v, k);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    if (isSetList(field)) return [...live, ...applied.filter((x) => !live.includes(x))];
    const keys = applied.map((x) => itemKey(field, x));
    if (keys.length > 0 && keys.every((k) => k !== undefined)) {
      const out = [...live];
      applied.forEach((item, i) => {
        const j = out.findIndex((x) => itemKey(field, x) === keys[i]);
        if (j >= 0) out[j] = mergeApplied(out[j], item, '');
        else out.push(item);
      });
      return out;
    }
  }
  return applied;
}

/** Remove a field (a leaf path) from an object. */
function removePath(obj: unknown, path: string) {
  const els = path.split(SEP).filter((e) => e !== '.');
  let cur: unknown = obj;
  for (let i = 0; i < els.length; i++) {
    const el = els[i] ?? '';
    const last = i === els.length - 1;
    if (el.startsWith('f:')) {
      if (!isRecord(cur)) return;
      if (last) delete cur[el.slice(2)];
      else cur = cur[el.slice(2)];
    } else if (Array.isArray(cur)) {
      const list: unknown[] = cur;
      const idx = list.findIndex((x) =>
        el.startsWith('v:') ? x === JSON.parse(el.slice(2)) : valueAt(list, el) === x,
      );
      if (idx < 0) return;
      if (last) list.splice(idx, 1);
      else cur = list[idx];
    } else return;
  }
}

export interface ApplyResult {
  object: Record<string, unknown>;
}

/**
 * Server-side apply of `applied` by `manager` onto `live` (undefined: the object does not exist
 * yet, the result is the object to create). Throws the 409 of the real field manager on conflicts.
 */
export function apply(
  live: Record<string, unknown> | undefined,
  applied: Record<string, unknown>,
  manager: string,
  apiVersion: string,
  force: boolean,
  subresource?: string,
): ApplyResult {
  const withStatus = subresource === 'status';
  const appliedSet = fieldsOf(applied, withStatus);
  const entries = live ? entriesOf(live).map((e) => ({ ...e })) : [];
  let previous: FieldSet = new Set();
  const others: { e: ManagedFieldsEntry; set: FieldSet }[] = [];
  for (const e of entries) {
    if (sameEntry(e, manager, 'Apply', subresource)) previous = fromFieldsV1(e.fieldsV1);
    else others.push({ e, set: fromFieldsV1(e.fieldsV1) });
  }
  if (live && !force) {
    const conflicts: { manager: ManagedFieldsEntry; path: string }[] = [];
    for (const p of appliedSet) {
      if (p.endsWith(`${SEP}.`)) continue;
      const same = JSON.stringify(valueAt(live, p)) === JSON.stringify(valueAt(applied, p));
      if (same) continue;
      for (const o of others) if (o.set.has(p)) conflicts.push({ manager: o.e, path: p });
    }
    if (conflicts.length > 0) throw conflictError(conflicts);
  }
  const base = live ? structuredClone(live) : {};
  const merged = mergeApplied(base, applied, '') as Record<string, unknown>;
  // Fields this manager applied before and no longer applies go, unless someone else owns them.
  for (const p of previous) {
    if (appliedSet.has(p) || others.some((o) => o.set.has(p))) continue;
    removePath(merged, p);
  }
  const out: ManagedFieldsEntry[] = [];
  for (const o of others) {
    if (force) for (const p of appliedSet) o.set.delete(p);
    out.push({ ...o.e, fieldsV1: toFieldsV1(o.set) });
  }
  out.push(entry(manager, 'Apply', apiVersion, appliedSet, subresource));
  if (!isRecord(merged.metadata)) merged.metadata = {};
  setEntries(merged, out);
  return { object: merged };
}

function managerName(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

function conflictError(conflicts: { manager: ManagedFieldsEntry; path: string }[]): ApiError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${managerName(c.manager)}`,
    field: printPath(c.path),
  }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${managerName(first.manager)}: ${printPath(first.path)}`;
  } else {
    const by = new Map<string, string[]>();
    for (const c of conflicts) {
      const m = managerName(c.manager);
      by.set(m, [...(by.get(m) ?? []), printPath(c.path)]);
    }
    const lines: string[] = [];
    for (const m of [...by.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const p of by.get(m) ?? []) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** The manager of a write without fieldManager: the User-Agent up to its first "/". */
export function managerFromUserAgent(ua: string | undefined): string {
  const m = (ua ?? '').split('/')[0] ?? '';
  return m.slice(0, 128) || 'unknown';
}
