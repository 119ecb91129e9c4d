/**
 * The OpenAPI document, built from the routes without a server, a database or a bus: what
 * /openapi.json serves, for code generators (`pnpm --filter @po/client generate`).
 */
import { subjects } from '@po/contracts';
import type { Database } from '@po/db';
import { builtinTemplates } from '@po/templates';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { Registry } from 'prom-client';
import { createApp, OPENAPI_CONFIG } from './app.ts';
import type { App } from './env.ts';
import { dbKeyResolver } from './middleware/auth/index.ts';
import { PipelineService } from './service/pipelines.ts';
import { QueueGuard } from './service/queue-guard.ts';
import { TemplateCatalog } from './store/templates.ts';
import { systemClock } from './types.ts';

export { OPENAPI_CONFIG };

/** The gateway's /openapi.json, as an object. */
export function openApiDocument(): ReturnType<App['getOpenAPIDocument']> {
  return inertApp().getOpenAPIDocument(OPENAPI_CONFIG);
}

/** The app with nothing connected: every dependency is inert (a query would fail, none is made). */
export function inertApp(): App {
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const clock = systemClock;
  const subs = subjects('po');
  const templates = new TemplateCatalog(db, builtinTemplates(), clock);
  const queueGuard = new QueueGuard({ db, defaultMaxQueued: 1, clock });
  return createApp({
    db,
    subjects: subs,
    templates,
    clock,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    keys: dbKeyResolver({ db, clock }),
    registry: new Registry(),
    service: new PipelineService({
      db,
      subjects: subs,
      templates,
      namespace: 'pipelines',
      clock,
      queueGuard,
    }),
    queueGuard,
    checks: {},
    namespace: 'pipelines',
    quotas: { maxRunning: 1, maxQueued: 1 },
  });
}
