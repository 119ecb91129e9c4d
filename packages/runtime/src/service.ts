import type { NatsConnection } from '@nats-io/transport-node';
import {
  type BusMetrics,
  connectNats,
  consumerBacklog,
  type MessageMeta,
  serviceInbox,
  startConsumer,
  startOutboxRelay,
} from '@po/bus';
import { type Streams, type Subjects, streams as streamsFor, subjects as subjectsFor } from '@po/contracts';
import type { Database } from '@po/db';
import { createDb, outboxLagSeconds } from '@po/db';
import type { KubeConfig } from '@po/kube';
// The request hooks alone: the @po/kube index loads the whole Kubernetes client, which a service
// that makes no Kubernetes call (gateway, scheduler) must not pay for at start-up.
import { instrumentKubeRequests, type KubeMetrics } from '@po/kube/requests';
import { createLogger, createMetrics, type Logger, type Metrics } from '@po/telemetry';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import { Lifecycle } from './lifecycle.ts';
import { busMetricsFor, kubeMetricsFor, type PipelineMetrics, pipelineMetricsFor } from './metrics.ts';
import { type HealthDetails, type ReadinessChecks, startOpsServer } from './ops-server.ts';

export interface ServiceConfig {
  DATABASE_URL: string;
  NATS_URL: string;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  BUS_PREFIX: string;
  LOG_LEVEL: string;
  /** Stop when stdin closes (see commonEnv). */
  STOP_WITH_PARENT?: boolean;
  /** Reported by /health (see commonEnv). */
  INSTANCE_ID?: string | undefined;
  /** Where /health, /ready and /metrics are served; omitted by a service that serves them itself. */
  OPS_PORT?: number;
}

export interface BootOptions {
  dbPoolMax?: number;
}

/** What every service gets before its own components start. */
export interface ServiceContext {
  name: string;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  db: Kysely<Database>;
  nc: NatsConnection;
  subjects: Subjects;
  /** Counters for the relay and every consumer of this service (dead letters are visible here and in the API). */
  busMetrics: BusMetrics;
  /** Terminal pipelines and queue waits, for the transitions this service makes. */
  pipelineMetrics: PipelineMetrics;
  /**
   * Measures this process's requests to the API server `kc` points at (by verb, resource and code)
   * and returns the hook its informers report restarts and watch reconnects to. Once per process.
   */
  instrumentKube(kc: KubeConfig): KubeMetrics;
  /** Extra readiness checks the service adds before `ready()` is served. */
  checks: ReadinessChecks;
  /** Extra facts /health reports (the service adds them as it starts). */
  health: HealthDetails;
  /**
   * A durable consumer this service reads (started by `consume`, or by the service itself): /ready
   * waits until it exists, and its backlog is po_nats_consumer_pending.
   */
  trackConsumer(stream: keyof Streams, consumer: string): void;
  /** Starts a durable consumer with this service's connection, logger and metrics; stopped with the service. */
  consume<T>(opts: ConsumeOptions<T>): void;
}

export interface ConsumeOptions<T> {
  stream: keyof Streams;
  consumer: string;
  schema: z.ZodType<T>;
  handler: (msg: T, meta: MessageMeta) => Promise<void>;
  concurrency?: number;
}

/**
 * Boots the shared plumbing in dependency order — Postgres, NATS, the outbox relay, the ops
 * server — registering each stop with the lifecycle so shutdown runs in reverse.
 */
export async function bootService(
  name: string,
  config: ServiceConfig,
  opts: BootOptions = {},
): Promise<ServiceContext> {
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const metrics = createMetrics({ service: name });
  const lifecycle = new Lifecycle(logger, { stopWithParent: config.STOP_WITH_PARENT ?? false });
  // From the first moment: a signal or a gone supervisor during start-up stops what has started.
  void lifecycle.handleSignals();

  const database = createDb({
    connectionString: config.DATABASE_URL,
    applicationName: name,
    ...(opts.dbPoolMax ? { max: opts.dbPoolMax } : {}),
  });
  lifecycle.add('postgres', database.close);
  let nc: NatsConnection;
  try {
    nc = await connectNats({
      servers: config.NATS_URL,
      name,
      user: config.NATS_USER,
      password: config.NATS_PASSWORD,
      // The service's user may read replies only here (@po/bus servicePermissions).
      inboxPrefix: serviceInbox(config.BUS_PREFIX, name),
    });
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
  lifecycle.add('nats', () => drainOrClose(nc, NATS_DRAIN_MS));
  const busMetrics = busMetricsFor(metrics);
  const relay = startOutboxRelay({
    metrics: busMetrics,
    db: database.db,
    connectionString: config.DATABASE_URL,
    nc,
    logger: logger.child({ component: 'outbox-relay' }),
  });
  lifecycle.add('outbox-relay', relay.stop);

  const checks: ReadinessChecks = {
    postgres: async () => {
      await sql`select 1`.execute(database.db);
    },
    nats: async () => {
      if (nc.isClosed()) throw new Error('connection closed');
      await nc.flush();
    },
  };
  metrics.gauge(
    'outbox_lag_seconds',
    'Age of the oldest outbox row not yet published (0: none waits)',
    [],
    async (g) => g.set(await outboxLagSeconds(database.db)),
  );
  const health: HealthDetails = {};
  if (config.OPS_PORT !== undefined) {
    const ops = await startOpsServer({
      port: config.OPS_PORT,
      registry: metrics.registry,
      checks,
      details: health,
      identity: { service: name, instance: config.INSTANCE_ID },
    });
    lifecycle.add('ops-server', ops.close);
    logger.info({ opsPort: ops.port }, 'ops server listening');
  }

  const subjects = subjectsFor(config.BUS_PREFIX);
  const streams = streamsFor(config.BUS_PREFIX);
  const consumers: { stream: string; consumer: string }[] = [];
  metrics.gauge(
    'nats_consumer_pending',
    'Messages a durable consumer has not yet acknowledged (undelivered + awaiting ack)',
    ['consumer'],
    async (g) => {
      for (const c of consumers)
        g.set({ consumer: c.consumer }, await consumerBacklog(nc, c.stream, c.consumer));
    },
  );
  let kubeMetrics: KubeMetrics | undefined;
  const trackConsumer = (name: keyof Streams, consumer: string) => {
    const stream = streams[name];
    consumers.push({ stream, consumer });
    // Not ready until the stream and this durable consumer exist (provisioned by the provisioning
    // step): a consumer without them would loop on StreamNotFound behind a green /ready.
    checks[`consumer ${consumer}`] = async () => {
      await consumerBacklog(nc, stream, consumer);
    };
  };
  return {
    name,
    logger,
    metrics,
    lifecycle,
    db: database.db,
    nc,
    subjects,
    busMetrics,
    pipelineMetrics: pipelineMetricsFor(metrics),
    instrumentKube: (kc) => {
      if (kubeMetrics) return kubeMetrics;
      const km = kubeMetricsFor(metrics);
      const off = instrumentKubeRequests(kc, km);
      lifecycle.add('kube-metrics', async () => off());
      kubeMetrics = km;
      return km;
    },
    checks,
    health,
    trackConsumer,
    consume: (o) => {
      trackConsumer(o.stream, o.consumer);
      const consumer = startConsumer({
        nc,
        subjects,
        logger,
        metrics: busMetrics,
        stream: streams[o.stream],
        consumer: o.consumer,
        schema: o.schema,
        handler: o.handler,
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      });
      lifecycle.add(`consumer ${o.consumer}`, consumer.stop);
    },
  };
}

/** How long a stopping service lets NATS flush what it has before closing the connection anyway. */
const NATS_DRAIN_MS = 5_000;

/**
 * Drains the connection (finish in-flight work, flush), but never waits for a server that is gone:
 * a drain while disconnected would wait for the reconnect forever.
 */
async function drainOrClose(nc: NatsConnection, ms: number): Promise<void> {
  if (nc.isClosed()) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const drained = nc.drain().then(
    () => 'drained' as const,
    () => 'failed' as const,
  );
  const outcome = await Promise.race([drained, late]);
  clearTimeout(timer);
  if (outcome !== 'drained' && !nc.isClosed()) await nc.close();
}
