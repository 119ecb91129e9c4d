// JSON as the API server writes it. Go's encoding/json escapes U+2028 and U+2029 (LINE and
// PARAGRAPH SEPARATOR) and, with HTML escaping on (the default the API server keeps), `<`, `>` and
// `&`; JSON.stringify writes them all raw. A client that splits a watch stream into lines with a
// Unicode-aware reader (Node's readline, as client-node does) would cut an event in two at a raw
// U+2028, so every byte of JSON kube-sim sends goes through here.

const GO_ESCAPED = /[\u2028\u2029<>&]/g;

const ESCAPES: Record<string, string> = {
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
};

/**
 * JSON text with U+2028/U+2029, `<`, `>` and `&` escaped as Go writes them. Outside strings JSON
 * never contains these characters, so this stays valid and means the same.
 */
export function escapeLineTerminators(json: string): string {
  return json.replace(GO_ESCAPED, (c) => ESCAPES[c] ?? c);
}

/** JSON.stringify as Go's encoder writes it. */
export function toJson(value: unknown): string {
  return escapeLineTerminators(JSON.stringify(value));
}
