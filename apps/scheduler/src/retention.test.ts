// The sweeper's pass: each kind with a retention, in batches until nothing is left (or the pass's
// batch budget is spent: the next pass goes on), counted by kind; a kind at 0 is kept forever.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@po/db/testing';
import { createLogger, createMetrics } from '@po/telemetry';
import { sql } from 'kysely';
import { RetentionSweeper } from './retention.ts';

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(() => tdb.close());

const DAY = 86_400;
const old = sql<Date>`now() - make_interval(secs => ${400 * DAY})`;

async function counted(metrics: ReturnType<typeof createMetrics>, kind: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric('po_retention_deleted_total')?.get();
  return m?.values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

test('a pass sweeps in batches within its budget, counts by kind, and keeps what has no retention', async () => {
  await tdb.db
    .insertInto('audit_log')
    .values(Array.from({ length: 7 }, (_, i) => ({ actor: 'a', action: `a${i}`, outcome: 'ok', at: old })))
    .execute();
  await tdb.db
    .insertInto('outbox')
    .values({ msg_id: 'm', subject: 's', payload: '{}', headers: '{}', created_at: old, published_at: old })
    .execute();
  const metrics = createMetrics({ service: 'retention-test', defaults: false });
  const sweeper = new RetentionSweeper({
    db: tdb.db,
    logger: createLogger({ service: 'retention-test', level: 'silent' }),
    metrics,
    policy: { pipelines: 30 * DAY, logs: 0, outbox: 0, audit: 365 * DAY },
    batch: 2,
    maxBatchesPerPass: 3,
    intervalMs: 60_000,
  });
  await sweeper.sweepNow();
  assert.equal(await counted(metrics, 'audit'), 6, 'three batches of two, then the pass moves on');
  await sweeper.sweepNow();
  assert.equal(await counted(metrics, 'audit'), 7);
  assert.equal((await tdb.db.selectFrom('audit_log').select('id').execute()).length, 0);
  assert.equal(
    (await tdb.db.selectFrom('outbox').select('id').execute()).length,
    1,
    'outbox retention 0: kept',
  );
  await sweeper.stop();
});
