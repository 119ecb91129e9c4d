/** Just enough of the Prometheus text format for tests: families declared, and samples with labels. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** Family names with a `# TYPE` line (declared even before their first sample). */
  families: Set<string>;
  samples: Sample[];
}

export function parseMetrics(text: string): Scrape {
  const families = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type?.[1]) families.add(type[1]);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m?.[1] || !m[3]) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      if (l[1]) labels[l[1]] = l[2] ?? '';
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { families, samples };
}

/** The sum of a series' samples (optionally only those whose labels match). */
export function total(s: Scrape, name: string, match: Record<string, string> = {}): number {
  return s.samples
    .filter((x) => x.name === name && Object.entries(match).every(([k, v]) => x.labels[k] === v))
    .reduce((n, x) => n + x.value, 0);
}

export const has = (s: Scrape, name: string) => s.samples.some((x) => x.name === name);
