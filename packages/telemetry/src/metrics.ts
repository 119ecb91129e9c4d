import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type { Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  counter<L extends string>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: number[],
  ): Histogram<L>;
  gauge<L extends string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
}

/** One registry per service; names get the `po_` prefix. Labels stay low-cardinality (never ids). */
export function createMetrics(opts: { service: string; defaults?: boolean }): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
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
    gauge: (name, help, labelNames = []) =>
      new Gauge({ name: `po_${name}`, help, labelNames, registers: [registry] }),
  };
}
