/** Counters a service may plug in (e.g. prom-client); labels are low-cardinality subjects. */
export interface BusMetrics {
  deadLettered(subject: string): void;
  published(subject: string): void;
  /** A durable consumer got a message again (ack wait expired, nak, a restart). */
  redelivered?(consumer: string): void;
}

/** Subjects with per-pipeline or per-tenant tokens, and how many trailing tokens to fold. */
const FOLDED: readonly [RegExp, string][] = [
  [/^([a-z][a-z0-9_]*\.(?:dlq\.)?evt\.status)\.[^.]+\.[^.]+$/, '$1.*.*'],
  [/^([a-z][a-z0-9_]*\.(?:dlq\.)?intake\.submit)\.[^.]+$/, '$1.*'],
  [/^([a-z][a-z0-9_]*\.(?:dlq\.)?api\.[a-z]+)\.[^.]+$/, '$1.*'],
];

/** Per-pipeline (and per-tenant) subjects would make a time series each: fold them into their wildcard. */
export function metricSubject(subject: string): string {
  for (const [re, to] of FOLDED) if (re.test(subject)) return subject.replace(re, to);
  return subject;
}
