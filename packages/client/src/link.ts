/** The next page of a list, from its `Link: <…>; rel="next"` header (RFC 8288). */
export function nextPageQuery(link: string | null): Record<string, string> | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (!m) continue;
    const rels = /(?:^|;)\s*rel\s*=\s*"?([^";]*)"?/i.exec(m[2] ?? '')?.[1]?.split(/\s+/) ?? [];
    if (!rels.includes('next')) continue;
    const url = new URL(m[1] ?? '', 'http://link.invalid');
    return Object.fromEntries(url.searchParams);
  }
  return undefined;
}
