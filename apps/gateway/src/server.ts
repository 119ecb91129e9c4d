import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { CONSUMERS } from '@po/contracts';
import { bootService, type Lifecycle } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { builtinTemplates } from '@po/templates';
import { createApp } from './app.ts';
import { onClientError, onRequestError } from './client-error.ts';
import type { GatewayConfig } from './config.ts';
import { dbKeyResolver } from './middleware/auth/index.ts';
import { startIntake, submissionHandler } from './nats/intake.ts';
import { natsDeadLetters } from './service/dead-letters.ts';
import { PipelineService } from './service/pipelines.ts';
import { QueueGuard } from './service/queue-guard.ts';
import { TemplateCatalog } from './store/templates.ts';
import { systemClock } from './types.ts';

export interface RunningGateway {
  port: number;
  stop(): Promise<void>;
}

/** Composition root: Postgres, NATS, outbox relay, HTTP server, NATS intake; stops in reverse. */
export async function startGateway(
  config: GatewayConfig,
): Promise<RunningGateway & { lifecycle: Lifecycle }> {
  const ctx = await bootService('gateway', config, { dbPoolMax: config.DB_POOL_MAX });
  const { logger, metrics, lifecycle, nc, subjects } = ctx;
  const clock = systemClock;

  const templates = new TemplateCatalog(ctx.db, builtinTemplates(), clock);
  const keys = dbKeyResolver({ db: ctx.db, clock, devKey: config.DEV_API_KEY });
  const queueGuard = new QueueGuard({
    db: ctx.db,
    defaultMaxQueued: config.TENANT_MAX_QUEUED,
    defaultMaxCpuMillis: config.TENANT_MAX_CPU,
    defaultMaxMemoryBytes: config.TENANT_MAX_MEMORY,
    clock,
  });
  const service = new PipelineService({
    db: ctx.db,
    subjects,
    templates,
    namespace: config.K8S_NAMESPACE,
    clock,
    queueGuard,
    pipelineMetrics: ctx.pipelineMetrics,
    globalLimits: {
      maxCpuMillis: config.SCHEDULER_MAX_CPU ?? null,
      maxMemoryBytes: config.SCHEDULER_MAX_MEMORY ?? null,
    },
    logger,
    policy: {
      imageAllowList: config.JOB_IMAGE_ALLOW_LIST,
      maxParallelism: config.JOB_MAX_PARALLELISM,
      maxCompletions: config.JOB_MAX_COMPLETIONS,
    },
    batch: {
      maxBatch: config.CREATE_BATCH_MAX,
      maxInFlight: config.CREATE_BATCH_IN_FLIGHT,
      lingerMs: config.CREATE_BATCH_LINGER_MS,
    },
  });

  const app = createApp({
    db: ctx.db,
    subjects,
    templates,
    clock,
    logger,
    keys,
    registry: metrics.registry,
    service,
    deadLetters: natsDeadLetters({
      nc,
      subjects,
      submit: submissionHandler({ db: ctx.db, service, logger: logger.child({ component: 'intake' }) }),
    }),
    namespace: config.K8S_NAMESPACE,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    queueGuard,
    instanceId: config.INSTANCE_ID,
    quotas: {
      maxRunning: config.TENANT_MAX_RUNNING,
      maxQueued: config.TENANT_MAX_QUEUED,
      maxCpuMillis: config.TENANT_MAX_CPU,
      maxMemoryBytes: config.TENANT_MAX_MEMORY,
      agingSeconds: config.SCHEDULER_AGING_SECONDS,
    },
    consoleDir: config.CONSOLE_DIR,
    traceUiUrl: config.TRACE_UI_URL,
    limits: {
      maxBodyBytes: config.MAX_BODY_BYTES,
      ipRatePerSecond: config.RATE_LIMIT_IP_PER_SECOND,
      ipBurst: config.RATE_LIMIT_IP_BURST,
      tenantRatePerSecond: config.RATE_LIMIT_TENANT_PER_SECOND,
      tenantBurst: config.RATE_LIMIT_TENANT_BURST,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      maxFollowersPerTenant: config.SSE_MAX_FOLLOWERS_PER_TENANT,
      followHeartbeatMs: config.SSE_HEARTBEAT_SECONDS * 1000,
      followIdleTimeoutMs: config.SSE_IDLE_TIMEOUT_SECONDS * 1000,
    },
    checks: ctx.checks,
  });

  const intake = startIntake({
    nc,
    db: ctx.db,
    subjects,
    service,
    logger: logger.child({ component: 'intake' }),
    metrics: ctx.busMetrics,
  });
  ctx.trackConsumer('intake', CONSUMERS.intake);
  lifecycle.add('nats-intake', intake.stop);

  const server = serveHttp(app.fetch, config.PORT, '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    if (server.listening) return resolve();
    server.once('listening', resolve);
    server.once('error', reject);
  });
  lifecycle.add('http', () => closeServer(server, config.SHUTDOWN_GRACE_MS));
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { port, namespace: config.K8S_NAMESPACE, devKey: config.DEV_API_KEY !== undefined },
    'gateway listening',
  );
  return { port, lifecycle, stop: () => lifecycle.stop() };
}

/**
 * The HTTP server for an app (listening starts at once): what Node or the adapter answer themselves,
 * a request they cannot parse or turn into a `Request`, carries the seed's error body too.
 */
export function serveHttp(
  fetch: (req: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
): Server {
  const server = createServer(getRequestListener(fetch, { hostname, errorHandler: onRequestError }));
  server.on('clientError', onClientError);
  server.listen(port, hostname);
  return server;
}

/** Stop accepting, let in-flight requests finish, then cut what is left (SSE followers) after the grace. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export async function runGateway(config: GatewayConfig, tracing: Tracing): Promise<void> {
  const gw = await startGateway(config);
  await gw.lifecycle.handleSignals();
  await tracing.shutdown();
  process.exit(0);
}
