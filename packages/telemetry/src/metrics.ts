import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Called on every scrape to set a gauge from the source of truth (one cheap query, a cache's age). */
export type Collect<L extends string> = (gauge: Gauge<L>) => void | Promise<void>;

export interface Metrics {
  registry: Registry;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: number[],
  ): Histogram<L>;
  /** With `collect`, the gauge is computed at scrape time (a failing collect leaves it unchanged). */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    collect?: Collect<L>,
  ): Gauge<L>;
}

/** Seconds buckets for pipeline-scale durations: a second to a day. */
export const PIPELINE_SECONDS_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400];
/** Seconds buckets for API calls: a millisecond to a minute. */
export const REQUEST_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One registry per service; names get the `po_` prefix. Labels stay low-cardinality (never ids). */
export function createMetrics(opts: { service: string; defaults?: boolean }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  // Process and runtime defaults (CPU, memory, event-loop lag, GC, handles), `po_` prefixed.
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'po_' });
  return {
    registry,
    counter: (name, help, labelNames = []) =>
      new Counter({ name: `po_${name}`, help, labelNames, registers: [registry] }),
    histogram: (name, help, labelNames = [], buckets) =>
      new Histogram({
        name: `po_${name}`,
        help,
        labelNames,
        registers: [registry],
        ...(buckets ? { buckets } : {}),
      }),
    gauge: (name, help, labelNames = [], collect) =>
      new Gauge({
        name: `po_${name}`,
        help,
        labelNames,
        registers: [registry],
        ...(collect
          ? {
              async collect() {
                try {
                  await collect(this);
                } catch {
                  // A scrape must not fail because one source is briefly unreachable; /ready reports that.
                }
              },
            }
          : {}),
      }),
  };
}
