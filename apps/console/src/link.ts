/** The `rel="next"` target of an HTTP Link header (RFC 8288), as the API pages its lists. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    const params = m[2] ?? '';
    if (/;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(params)) return m[1];
  }
  return undefined;
}
