// Media types: which body formats a request may send (Content-Type) and which a response may take
// (Accept). kube-sim reads and writes JSON and YAML; it does not write protobuf, and answers a client
// that accepts nothing else as the real server answers for types it cannot encode (406, listing
// what it can), the way it does for custom resources.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ApiError, badRequest } from './status.ts';

export type OutputFormat = 'json' | 'yaml';

export const JSON_TYPE = 'application/json';
export const YAML_TYPE = 'application/yaml';
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

/** The media types kube-sim can write, in the order the 406 message lists them. */
const PRODUCED = [JSON_TYPE, YAML_TYPE];

export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

/** An Accept header as media ranges, in preference order (q, then position). */
export function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept || accept.trim() === '') return [];
  const out: (MediaRange & { i: number })[] = [];
  accept.split(',').forEach((clause, i) => {
    const [type = '', ...rest] = clause.split(';').map((s) => s.trim());
    if (type === '') return;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim();
      if (k === 'q') q = Number(v);
      else params[k] = v;
    }
    if (!(q > 0)) return;
    out.push({ type: type.toLowerCase(), params, q, i });
  });
  out.sort((a, b) => b.q - a.q || a.i - b.i);
  return out.map(({ i: _i, ...r }) => r);
}

function matchesType(range: string, type: string): boolean {
  if (range === '*/*') return true;
  if (range.endsWith('/*')) return type.startsWith(range.slice(0, -1));
  return range === type;
}

/**
 * The format of a response for this Accept header: the first range kube-sim can write (a range
 * with `as=` asks for a converted kind and is left to the caller). `stream` (watch) allows JSON
 * only, as YAML has no stream framing.
 */
export function negotiateOutput(accept: string | undefined, stream = false): OutputFormat {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return 'json';
  const produced = stream ? [JSON_TYPE] : PRODUCED;
  for (const r of ranges) {
    if (r.params.as !== undefined) continue;
    const t = produced.find((p) => matchesType(r.type, p));
    if (t) return t === YAML_TYPE ? 'yaml' : 'json';
  }
  // A Table (or other `as=`) range alone is the caller's to honour; JSON is its fallback.
  if (ranges.some((r) => r.params.as !== undefined && matchesType(r.type, JSON_TYPE))) return 'json';
  throw notAcceptable(produced);
}

export function notAcceptable(accepted = PRODUCED): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    `only the following media types are accepted: ${accepted.join(', ')}`,
  );
}

export function contentTypeOf(format: OutputFormat): string {
  return format === 'yaml' ? YAML_TYPE : JSON_TYPE;
}

/** The base media type of a Content-Type header ('' when absent). */
export function baseType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** An object body as YAML the way the real server writes it (sigs.k8s.io/yaml: keys sorted). */
export function toYaml(value: unknown): string {
  return stringifyYaml(value, { sortMapEntries: true, lineWidth: 0 });
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the object provided is unrecognized: ${(e as Error).message}`);
  }
}

export function parseYamlBody(text: string): unknown {
  try {
    return parseYaml(text, { version: '1.1' });
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Object bodies kube-sim reads (protobuf only where the caller decodes it itself). */
export function decodeObjectBody(contentType: string | undefined, text: string): unknown {
  const t = baseType(contentType);
  if (t === '' || t === JSON_TYPE) return parseJsonBody(text);
  if (t === YAML_TYPE) return parseYamlBody(text);
  throw unsupportedMediaType([JSON_TYPE, YAML_TYPE, PROTOBUF_TYPE]);
}

export function unsupportedMediaType(accepted: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
