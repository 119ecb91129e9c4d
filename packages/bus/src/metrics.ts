/** Counters a service may plug in (e.g. prom-client); labels are low-cardinality subjects. */
export interface BusMetrics {
  deadLettered(subject: string): void;
  published(subject: string): void;
}

const STATUS_SUBJECT = /^([a-z][a-z0-9_]*\.evt\.status)\.[^.]+$/;

/** Per-pipeline subjects would make one time series per pipeline: fold them into their wildcard. */
export function metricSubject(subject: string): string {
  return subject.replace(STATUS_SUBJECT, '$1.*');
}
