import { OpenAPIHono } from '@hono/zod-openapi';
import type { Subjects } from '@po/contracts';
import type { Database } from '@po/db';
import type { Kysely } from 'kysely';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { App, AppEnv } from './env.ts';
import { errors } from './errors/api-error.ts';
import { notFoundRoute, onError } from './errors/handler.ts';
import { audit } from './middleware/audit/index.ts';
import { auth, type KeyResolver } from './middleware/auth/index.ts';
import { clientAddress } from './middleware/client-address/index.ts';
import { jsonBodyOnly } from './middleware/limits/index.ts';
import { rateLimit } from './middleware/rate-limit/index.ts';
import { requestId } from './middleware/request-id/index.ts';
import { requestTimeout } from './middleware/request-timeout/index.ts';
import { routeOf, serverTelemetry } from './middleware/telemetry/index.ts';
import { registerConsoleRoutes } from './routes/console.ts';
import { registerDeadLetterRoutes } from './routes/dead-letters.ts';
import { DOCS_ASSETS, registerDocsRoutes } from './routes/docs.ts';
import { type ReadinessChecks, registerHealthRoutes } from './routes/health.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerLogRoutes } from './routes/logs.ts';
import { registerPipelineRoutes } from './routes/pipelines.ts';
import { type QuotaDefaults, registerQuotaRoutes } from './routes/quotas.ts';
import { registerTemplateRoutes } from './routes/templates.ts';
import { registerWhoamiRoutes } from './routes/whoami.ts';
import { type DeadLetters, noDeadLetters } from './service/dead-letters.ts';
import { FollowerSlots, LogFeeds } from './service/log-feed.ts';
import { describeIssues, type PipelineService } from './service/pipelines.ts';
import type { QueueGuard } from './service/queue-guard.ts';
import type { TemplateCatalog } from './store/templates.ts';
import type { Clock, Logger } from './types.ts';

export interface Limits {
  maxBodyBytes: number;
  /** Per client address, applied before authentication. */
  ipRatePerSecond: number;
  ipBurst: number;
  /** Per tenant, after authentication. */
  tenantRatePerSecond: number;
  tenantBurst: number;
  maxPageSize: number;
  maxLogLines: number;
  followPollMs: number;
  followFinalCaptureWaitMs: number;
  /** Open SSE log followers per tenant (per gateway process); more get 429. */
  maxFollowersPerTenant: number;
  followHeartbeatMs: number;
  followIdleTimeoutMs: number;
  /** Feed updates a slow SSE reader may have waiting before its stream is ended. */
  followMaxBuffered: number;
  /** Longest a non-streaming request may take before it is answered 408. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 64 * 1024,
  ipRatePerSecond: 2000,
  ipBurst: 4000,
  tenantRatePerSecond: 2000,
  tenantBurst: 4000,
  maxPageSize: 200,
  maxLogLines: 10_000,
  followPollMs: 250,
  followFinalCaptureWaitMs: 15_000,
  maxFollowersPerTenant: 20,
  followHeartbeatMs: 15_000,
  followIdleTimeoutMs: 600_000,
  followMaxBuffered: 256,
  requestTimeoutMs: 30_000,
};

export interface AppDeps {
  db: Kysely<Database>;
  subjects: Subjects;
  templates: TemplateCatalog;
  clock: Clock;
  logger: Logger;
  keys: KeyResolver;
  registry: Registry;
  /** Readiness checks (Postgres, NATS). */
  checks: ReadinessChecks;
  /** Namespace for every Job. */
  namespace: string;
  limits?: Partial<Limits>;
  /**
   * Trusted proxies in front of the gateway: the client address is the X-Forwarded-For entry this
   * many from the right (0: the socket's peer; X-Forwarded-For is ignored).
   */
  trustedProxyHops?: number;
  /** Creates, cancels and restarts (shared with the NATS intake). */
  service: PipelineService;
  /** The service's backpressure per tenant (told when the operator changes a quota). */
  queueGuard: QueueGuard;
  /** Dead letters for /dead-letters (the routes are listed but find none without it). */
  deadLetters?: DeadLetters;
  /** Reported by /health (INSTANCE_ID). */
  instanceId?: string | undefined;
  /** The platform's per-tenant quota defaults (TENANT_MAX_RUNNING, TENANT_MAX_QUEUED, TENANT_MAX_CPU, …). */
  quotas: QuotaDefaults;
  /** The web console's static build (apps/console/dist), served at /ui. */
  consoleDir?: string | undefined;
  /** TRACE_UI_URL: a trace UI (Jaeger) base; pipeline details then link to their trace. */
  traceUiUrl?: string | undefined;
}

// /metrics is served on the ops port (OPS_PORT), never on this public one.
const PUBLIC = new Set(['/health', '/ready', '/openapi.json', '/docs']);
const isPublic = (path: string) => PUBLIC.has(path) || path.startsWith(`${DOCS_ASSETS}/`);

/** What /openapi.json describes itself as (also used to build the document without a server). */
export const OPENAPI_CONFIG = {
  openapi: '3.0.3',
  info: {
    title: 'Pipeline Operator API',
    version: '1.0.0',
    description:
      'Submit data pipelines that run as Kubernetes Jobs. Errors are {"error": message, "type": kind}.',
  },
};

export function createApp(deps: AppDeps): App {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const hops = deps.trustedProxyHops ?? 0;
  const { service } = deps;

  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw errors.invalidConfig(describeIssues(result.error));
    },
  });
  app.onError(onError(deps.logger));
  app.notFound(notFoundRoute);

  const requests = new Histogram({
    name: 'po_gateway_http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.registry],
  });
  const created = new Counter({
    name: 'po_gateway_pipelines_created_total',
    help: 'Pipelines created through the gateway over HTTP',
    registers: [deps.registry],
  });

  app.use('*', requestId());
  app.use('*', serverTelemetry(deps.logger));
  app.use(
    '*',
    requestTimeout(limits.requestTimeoutMs, (c) => c.req.query('follow') === 'true'),
  );
  app.use('*', async (c, next) => {
    const start = performance.now();
    await next();
    const route = routeOf(c);
    requests.observe(
      { method: c.req.method, route, status: String(c.res.status) },
      (performance.now() - start) / 1000,
    );
    if (c.req.method === 'POST' && route === '/pipelines' && c.res.status === 201) {
      created.inc();
    }
  });
  app.use(
    '*',
    rateLimit({
      resource: 'requests per client address',
      ratePerSecond: limits.ipRatePerSecond,
      burst: limits.ipBurst,
      clock: deps.clock,
      key: (c) => (isPublic(c.req.path) ? undefined : (clientAddress(c, hops) ?? 'unknown')),
    }),
  );
  // The console's static files need no key (the page then signs in with one): answered here,
  // before audit and authentication.
  if (deps.consoleDir !== undefined) registerConsoleRoutes(app, { dir: deps.consoleDir });
  app.use('*', audit({ db: deps.db, logger: deps.logger, clientAddr: (c) => clientAddress(c, hops) }));
  app.use('*', jsonBodyOnly({ maxBodyBytes: limits.maxBodyBytes }));
  app.use('*', auth(deps.keys, { skip: isPublic }));
  app.use(
    '*',
    rateLimit({
      resource: 'requests per tenant',
      ratePerSecond: limits.tenantRatePerSecond,
      burst: limits.tenantBurst,
      clock: deps.clock,
      key: (c) => c.get('principal')?.tenantId,
    }),
  );

  registerHealthRoutes(app, { checks: deps.checks, instance: deps.instanceId });
  registerPipelineRoutes(app, {
    db: deps.db,
    service,
    maxPageSize: limits.maxPageSize,
    agingSeconds: deps.quotas.agingSeconds ?? 0,
    traceUiUrl: deps.traceUiUrl,
  });
  registerLogRoutes(app, {
    db: deps.db,
    service,
    feeds: new LogFeeds({
      db: deps.db,
      clock: deps.clock,
      logger: deps.logger,
      pollMs: limits.followPollMs,
      finalCaptureWaitMs: limits.followFinalCaptureWaitMs,
      maxLines: limits.maxLogLines,
    }),
    followers: new FollowerSlots(limits.maxFollowersPerTenant),
    limits: {
      heartbeatMs: limits.followHeartbeatMs,
      idleTimeoutMs: limits.followIdleTimeoutMs,
      maxBuffered: limits.followMaxBuffered,
    },
    maxLines: limits.maxLogLines,
  });
  registerTemplateRoutes(app, { templates: deps.templates, policy: service.policy });
  registerKeyRoutes(app, { db: deps.db, keys: deps.keys });
  registerWhoamiRoutes(app);
  registerQuotaRoutes(app, { db: deps.db, defaults: deps.quotas, queueGuard: deps.queueGuard });
  registerDeadLetterRoutes(app, deps.deadLetters ?? noDeadLetters, deps.registry);

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' });
  app.doc('/openapi.json', OPENAPI_CONFIG);
  registerDocsRoutes(app);
  return app;
}
