/** Small display helpers. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function typeName(t: unknown): string {
  if (typeof t === 'string') return t;
  const custom = (t as { Custom?: { template?: string } } | null)?.Custom?.template;
  return custom ? `Custom: ${custom}` : JSON.stringify(t);
}

export const TERMINAL = new Set(['Succeeded', 'Failed', 'Timeout', 'Cancelled']);

/** A link the page may open: only http(s) URLs. */
export function safeHref(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
