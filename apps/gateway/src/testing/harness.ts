/** Test support: a gateway app over a private, migrated database and a random subject prefix. */
import { randomBytes } from 'node:crypto';
import { subjects as subjectsFor } from '@po/contracts';
import type { Database } from '@po/db';
import { createTestDatabase } from '@po/db/testing';
import { builtinTemplates, type TemplatePolicy } from '@po/templates';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { type AppDeps, createApp, type Limits } from '../app.ts';
import type { App } from '../env.ts';
import { createApiKey, dbKeyResolver } from '../middleware/auth/index.ts';
import { PipelineService } from '../service/pipelines.ts';
import { QueueGuard } from '../service/queue-guard.ts';
import { TemplateCatalog } from '../store/templates.ts';
import type { Clock, Logger } from '../types.ts';

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function randomPrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

export class FakeClock implements Clock {
  #t: number;
  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.#t = start;
  }
  now(): Date {
    return new Date(this.#t);
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}

export interface Harness {
  app: App;
  deps: AppDeps;
  devKey: string;
  dbUrl: string;
  /** JSON request with the dev key (override with headers.authorization). */
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  key(tenantId: string, role: 'admin' | 'submitter' | 'viewer'): Promise<string>;
  close(): Promise<void>;
}

export async function createHarness(
  opts: {
    limits?: Partial<Limits>;
    clock?: Clock;
    checks?: AppDeps['checks'];
    quotas?: Partial<AppDeps['quotas']>;
    policy?: TemplatePolicy;
    /** The app's (not the test's) database handle, e.g. with a counting plugin. */
    appDb?: (db: Kysely<Database>) => Kysely<Database>;
    /** The web console's build directory (served at /ui). */
    consoleDir?: string;
    /** Where the app and its service log (silent by default). */
    logger?: Logger;
    traceUiUrl?: string;
  } = {},
): Promise<Harness> {
  const tdb = await createTestDatabase();
  const clock = opts.clock ?? { now: () => new Date() };
  const devKey = `dev_${randomBytes(8).toString('hex')}`;
  const keys = dbKeyResolver({ db: tdb.db, clock, devKey, cacheMs: 0 });
  const subjects = subjectsFor(randomPrefix());
  const templates = new TemplateCatalog(tdb.db, builtinTemplates(), clock, 0);
  const quotas = { maxRunning: 5, maxQueued: 1_000, ...opts.quotas };
  // Read the queue afresh on every create, so tests see the limit as soon as it is reached.
  const queueGuard = new QueueGuard({
    db: tdb.db,
    defaultMaxQueued: quotas.maxQueued,
    defaultMaxCpuMillis: quotas.maxCpuMillis,
    defaultMaxMemoryBytes: quotas.maxMemoryBytes,
    clock,
    refreshMs: 0,
  });
  const service = new PipelineService({
    db: tdb.db,
    subjects,
    templates,
    namespace: 'pipelines',
    clock,
    queueGuard,
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const deps: AppDeps = {
    db: tdb.db,
    subjects,
    templates,
    service,
    queueGuard,
    quotas,
    clock,
    logger: opts.logger ?? silentLogger,
    keys,
    registry: new Registry(),
    checks: opts.checks ?? {
      postgres: async () => void (await tdb.db.selectFrom('pipelines').select('id').limit(1).execute()),
    },
    namespace: 'pipelines',
    limits: { followPollMs: 20, followFinalCaptureWaitMs: 2_000, ...opts.limits },
    trustedProxyHops: 1,
    ...(opts.consoleDir !== undefined ? { consoleDir: opts.consoleDir } : {}),
    ...(opts.traceUiUrl ? { traceUiUrl: opts.traceUiUrl } : {}),
  };
  const app = createApp(opts.appDb ? { ...deps, db: opts.appDb(tdb.db) } : deps);
  return {
    app,
    deps,
    devKey,
    dbUrl: tdb.url,
    req: (method, path, body, headers = {}) =>
      Promise.resolve(
        app.request(path, {
          method,
          headers: {
            authorization: `Bearer ${devKey}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        }),
      ),
    key: async (tenantId, role) =>
      (await createApiKey(tdb.db, { tenantId, role, name: `${tenantId}-${role}` })).key,
    close: async () => {
      await tdb.close();
    },
  };
}

/** A response body typed as the test expects it (the route's own schema types). */
export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
