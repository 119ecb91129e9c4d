// Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic merge patch
// approximated as a merge patch in which lists of named items merge by name.
import { badRequest } from './status.ts';
import { isRecord } from './types.ts';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function namedList(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => isRecord(x) && typeof x.name === 'string');
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && namedList(patch) && namedList(target)) {
    const out = target.map((x) => ({ ...x }));
    for (const p of patch) {
      if (p.$patch === 'delete') {
        const i = out.findIndex((x) => x.name === p.name);
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      const i = out.findIndex((x) => x.name === p.name);
      if (i >= 0) out[i] = strategicMergePatch(out[i], p) as Record<string, unknown>;
      else out.push(p);
    }
    return out;
  }
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

function decodePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/'))
    throw badRequest(
      `the server rejected our request due to an error in our request: invalid JSON pointer "${p}"`,
    );
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: unknown, path: string[]): unknown {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isRecord(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: unknown, path: string[]): { parent: unknown; key: string } {
  const key = path[path.length - 1];
  const parent = getAt(doc, path.slice(0, -1));
  if (key === undefined || (!Array.isArray(parent) && !isRecord(parent))) {
    throw new JsonPatchFailed(`doc is missing path: "/${path.join('/')}": missing value`);
  }
  return { parent, key };
}

export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let root: unknown = structuredClone(doc);
  for (const op of ops) {
    if (!isRecord(op)) throw badRequest('invalid json patch operation');
    const path = decodePointer(String(op.path ?? ''));
    const kind = op.op;
    if (kind === 'test') {
      if (JSON.stringify(getAt(root, path)) !== JSON.stringify(op.value)) {
        throw new PatchTestFailed(`testing value /${path.join('/')} failed`);
      }
      continue;
    }
    let value: unknown = op.value;
    if (kind === 'copy' || kind === 'move') {
      const from = decodePointer(String(op.from ?? ''));
      value = structuredClone(getAt(root, from));
      if (kind === 'move') root = removeAt(root, from);
    }
    if (kind === 'remove') {
      root = removeAt(root, path);
      continue;
    }
    if (path.length === 0) {
      root = value;
      continue;
    }
    const { parent, key } = parentOf(root, path);
    if (Array.isArray(parent)) {
      const idx = key === '-' ? parent.length : Number(key);
      if (kind === 'replace') parent[idx] = value;
      else parent.splice(idx, 0, value);
    } else if (isRecord(parent)) {
      if (kind === 'replace' && !(key in parent)) {
        throw new JsonPatchFailed(
          `replace operation does not apply: doc is missing key: /${path.join('/')}: missing value`,
        );
      }
      parent[key] = value;
    }
  }
  return root;
}

function removeAt(root: unknown, path: string[]): unknown {
  const { parent, key } = parentOf(root, path);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (isRecord(parent)) {
    if (!(key in parent))
      throw new JsonPatchFailed(
        `remove operation does not apply: doc is missing path: "/${path.join('/')}": missing value`,
      );
    delete parent[key];
  }
  return root;
}

export class PatchTestFailed extends Error {}

/** A JSON patch operation that does not apply to the document (the server answers 422). */
export class JsonPatchFailed extends Error {}

export function applyPatch(contentType: string, target: unknown, body: unknown): unknown {
  const ct = contentType.split(';')[0]?.trim() ?? '';
  switch (ct) {
    case 'application/merge-patch+json':
      return mergePatch(target, body);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(target, body);
    case 'application/json-patch+json':
      return jsonPatch(target, body);
    default:
      return undefined;
  }
}
