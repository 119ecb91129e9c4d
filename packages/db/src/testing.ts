/** Test support: a private, migrated database per test run. */
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { PRIORITY_RANK, type Subjects, subjects as subjectsFor } from '@po/contracts';
import type { Kysely } from 'kysely';
import { dropDatabase, ensureDatabase } from './admin.ts';
import { createDb } from './client.ts';
import { migrateToLatest } from './migrate.ts';
import type { Database, NewPipeline } from './schema.ts';

export interface TestDatabase {
  url: string;
  db: Kysely<Database>;
  close(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://root@127.0.0.1:5432/postgres';

/** Creates `t_<random>`, migrates it, and drops it (terminating leftover sessions) on close(). */
export async function createTestDatabase(opts: { adminUrl?: string } = {}): Promise<TestDatabase> {
  const adminUrl = opts.adminUrl ?? DEFAULT_ADMIN_URL;
  const name = `t_${randomBytes(6).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  const handle = createDb({ connectionString: url.toString(), max: 10, applicationName: 'po-test' });
  const drop = async () => {
    await handle.close();
    await dropDatabase(url.toString());
  };
  try {
    await migrateToLatest(handle.db);
  } catch (err) {
    await drop();
    throw err;
  }
  return { url: url.toString(), db: handle.db, close: drop };
}

/**
 * For a test file: a private database created before its tests run and dropped after them, and a
 * subject prefix of its own. `db` is there inside tests (once `before` has run).
 */
export function databaseForTests(): {
  readonly db: Kysely<Database>;
  readonly url: string;
  readonly subjects: Subjects;
} {
  let tdb: TestDatabase | undefined;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb?.close());
  const ready = (): TestDatabase => {
    if (!tdb) throw new Error('the test database exists only inside tests (after before())');
    return tdb;
  };
  return {
    get db() {
      return ready().db;
    },
    get url() {
      return ready().url;
    },
    subjects: subjectsFor(`t${randomBytes(4).toString('hex')}`),
  };
}

/** A valid pipeline row for tests; override what the test is about. */
export function newPipelineRow(overrides: Partial<NewPipeline> = {}): NewPipeline {
  return {
    id: randomUUID(),
    pipeline_type: JSON.stringify('DataProcessing'),
    template: 'data-processing',
    template_version: 1,
    config: JSON.stringify({}),
    priority: 'Normal',
    priority_rank: PRIORITY_RANK.Normal,
    timeout_seconds: 60,
    namespace: 'default',
    job: JSON.stringify({
      template: 'data-processing',
      image: 'busybox:1.36',
      command: ['sh', '-c', 'echo hi'],
      args: [],
      env: {},
      resources: { cpu_request: '100m', memory_request: '64Mi', cpu_limit: '500m', memory_limit: '128Mi' },
      backoffLimit: 0,
    }),
    status: 'Queued',
    reason: null,
    ...overrides,
  };
}
