// JSON as the API server writes it. Go's encoding/json escapes U+2028 and U+2029 (LINE and
// PARAGRAPH SEPARATOR) even with HTML escaping off; JSON.stringify writes them raw. A client that
// splits a watch stream into lines with a Unicode-aware reader (Node's readline, as client-node
// does) would cut an event in two at a raw one, so every byte of JSON kube-sim sends goes through here.

const LINE_TERMINATORS = /[\u2028\u2029]/g;

/** JSON text with U+2028/U+2029 escaped (they can only occur inside strings, so this stays valid). */
export function escapeLineTerminators(json: string): string {
  return json.replace(LINE_TERMINATORS, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

/** JSON.stringify as Go's encoder writes it. */
export function toJson(value: unknown): string {
  return escapeLineTerminators(JSON.stringify(value));
}
