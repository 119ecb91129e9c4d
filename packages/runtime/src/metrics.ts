import type { BusMetrics } from '@po/bus';
import { isTerminal } from '@po/contracts';
import type { Pipeline } from '@po/db';
import { isKubeFailure, type KubeMetrics } from '@po/kube/requests';
import { type Metrics, PIPELINE_SECONDS_BUCKETS, REQUEST_SECONDS_BUCKETS } from '@po/telemetry';

/** Prometheus counters behind the bus's metrics hook. */
export function busMetricsFor(metrics: Metrics): BusMetrics {
  const deadLetters = metrics.counter('bus_dead_letters_total', 'Messages moved to the dead-letter stream', [
    'subject',
  ]);
  const published = metrics.counter('bus_published_total', 'Outbox messages published to NATS', ['subject']);
  const redelivered = metrics.counter(
    'nats_redeliveries_total',
    'Messages delivered again to a durable consumer (ack wait expired, nak, or a restart)',
    ['consumer'],
  );
  return {
    deadLettered: (subject) => deadLetters.inc({ subject }),
    published: (subject) => published.inc({ subject }),
    redelivered: (consumer) => redelivered.inc({ consumer }),
  };
}

/** Requests to the API server by verb, resource and code; informer restarts and the age of each watch. */
export function kubeMetricsFor(metrics: Metrics): KubeMetrics {
  const requests = metrics.counter(
    'kube_requests_total',
    'Kubernetes API requests by verb, resource and code',
    ['verb', 'resource', 'code'],
  );
  const errors = metrics.counter(
    'kube_request_errors_total',
    'Kubernetes API requests that failed (5xx, 429 or no answer)',
    ['verb', 'resource', 'code'],
  );
  const latency = metrics.histogram(
    'kube_request_duration_seconds',
    'Kubernetes API request latency (to response headers for watches and log streams)',
    ['verb', 'resource'],
    REQUEST_SECONDS_BUCKETS,
  );
  const restarts = metrics.counter('informer_restarts_total', 'Informer list-and-watch restarts', [
    'resource',
  ]);
  const connectedAt = new Map<string, number>();
  metrics.gauge(
    'informer_watch_age_seconds',
    'Seconds since the informer last (re)connected its watch',
    ['resource'],
    (g) => {
      g.reset();
      for (const [resource, at] of connectedAt) g.set({ resource }, (Date.now() - at) / 1000);
    },
  );
  return {
    request: ({ verb, resource }, code, seconds) => {
      requests.inc({ verb, resource, code });
      latency.observe({ verb, resource }, seconds);
      if (isKubeFailure(code)) errors.inc({ verb, resource, code });
    },
    informerRestarted: (kind) => restarts.inc({ resource: kind }),
    watchConnected: (kind) => connectedAt.set(kind, Date.now()),
  };
}

/** What a service observes about pipelines as it changes them. */
export interface PipelineMetrics {
  /** After a transition: a pipeline that reached a terminal status is counted and its duration observed. */
  transitioned(result: { ok: boolean; pipeline?: Pipeline }): void;
  /** An attempt admitted after waiting this long in the queue. */
  admitted(priority: string, waitSeconds: number): void;
}

export function pipelineMetricsFor(metrics: Metrics): PipelineMetrics {
  const finished = metrics.counter('pipelines_finished_total', 'Pipelines that reached a terminal status', [
    'template',
    'status',
  ]);
  const duration = metrics.histogram(
    'pipeline_duration_seconds',
    'From creation to a terminal status (all attempts and queueing included)',
    ['template', 'status'],
    PIPELINE_SECONDS_BUCKETS,
  );
  const queueWait = metrics.histogram(
    'pipeline_queue_wait_seconds',
    'From queued (or re-queued for a retry) to admitted',
    ['priority'],
    PIPELINE_SECONDS_BUCKETS,
  );
  return {
    transitioned(r) {
      const p = r.pipeline;
      if (!r.ok || !p || !isTerminal(p.status)) return;
      const labels = { template: p.template, status: p.status };
      finished.inc(labels);
      const end = p.finished_at ?? new Date();
      duration.observe(labels, Math.max(0, (end.getTime() - new Date(p.created_at).getTime()) / 1000));
    },
    admitted: (priority, waitSeconds) => queueWait.observe({ priority }, Math.max(0, waitSeconds)),
  };
}
