import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { insertPipeline, insertPipelines } from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

const events = (id: string) =>
  tdb.db.selectFrom('pipeline_events').selectAll().where('pipeline_id', '=', id).execute();
const outbox = (id: string) =>
  tdb.db.selectFrom('outbox').select(['msg_id', 'subject']).where('msg_id', 'like', `${id}:%`).execute();

describe('insertPipelines', () => {
  test('mixed new and duplicate idempotency keys: each row gets its own answer, in order', async () => {
    const tenant = `t-${randomBytes(3).toString('hex')}`;
    const earlier = newPipelineRow({ tenant_id: tenant, idempotency_key: 'a' });
    assert.ok((await insertPipeline(tdb.db, subjects, earlier)).created);

    const rows = [
      newPipelineRow({ tenant_id: tenant }), // no key
      newPipelineRow({ tenant_id: tenant, idempotency_key: 'a' }), // taken before the batch
      newPipelineRow({ tenant_id: tenant, idempotency_key: 'b' }), // new
      newPipelineRow({ tenant_id: tenant, idempotency_key: 'b' }), // taken earlier in this batch
      newPipelineRow({ tenant_id: 'other', idempotency_key: 'a' }), // same key, other tenant: new
    ];
    const results = await insertPipelines(tdb.db, subjects, rows);
    assert.equal(results.length, rows.length);
    const values = results.map((r) => {
      assert.equal(r.status, 'fulfilled');
      return r.status === 'fulfilled' ? r.value : undefined;
    });
    const [noKey, dupA, newB, dupB, otherA] = values;
    assert.ok(noKey?.created && noKey.pipeline.id === rows[0]?.id);
    assert.ok(dupA && !dupA.created && dupA.existing.id === earlier.id);
    assert.ok(newB?.created && newB.pipeline.id === rows[2]?.id);
    assert.ok(dupB && !dupB.created && dupB.existing.id === rows[2]?.id);
    assert.ok(otherA?.created && otherA.pipeline.id === rows[4]?.id);

    for (const created of [rows[0], rows[2], rows[4]]) {
      const id = created?.id ?? '';
      const ev = await events(id);
      assert.deepEqual(
        ev.map((e) => [e.kind, e.from_status, e.to_status, e.attempt]),
        [['transition', null, 'Queued', 1]],
      );
      assert.deepEqual((await outbox(id)).map((m) => m.msg_id).sort(), [
        `${id}:1:Queued:status`,
        `${id}:1:queued`,
      ]);
    }
    for (const duplicate of [rows[1], rows[3]]) {
      const id = duplicate?.id ?? '';
      assert.deepEqual(await events(id), []);
      assert.deepEqual(await outbox(id), []);
    }
    const stored = await tdb.db
      .selectFrom('pipelines')
      .select(['id', 'status', 'attempt', 'admitted_at'])
      .where('tenant_id', 'in', [tenant, 'other'])
      .execute();
    assert.equal(stored.length, 4);
    assert.ok(stored.every((p) => p.status === 'Queued' && p.attempt === 1 && p.admitted_at === null));
  });

  test('a row the database refuses fails alone; the others are committed', async () => {
    const good1 = newPipelineRow();
    const bad = newPipelineRow({ timeout_seconds: 0 }); // check constraint
    const good2 = newPipelineRow();
    const sameId = newPipelineRow({ id: good2.id }); // primary key taken by good2
    const results = await insertPipelines(tdb.db, subjects, [good1, bad, good2, sameId]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
    );
    const ok = results[0];
    assert.ok(ok?.status === 'fulfilled' && ok.value.created && ok.value.pipeline.id === good1.id);
    const refused = results[1];
    assert.match(refused?.status === 'rejected' ? String(refused.reason) : '', /check constraint/);
    for (const id of [good1.id, good2.id]) {
      assert.equal((await events(id)).length, 1);
      assert.equal((await outbox(id)).length, 2);
    }
    assert.equal((await events(bad.id)).length, 0);
    assert.equal((await outbox(bad.id)).length, 0);
  });

  test('an empty batch is a no-op; insertPipeline throws the row error', async () => {
    assert.deepEqual(await insertPipelines(tdb.db, subjects, []), []);
    await assert.rejects(
      insertPipeline(tdb.db, subjects, newPipelineRow({ timeout_seconds: -1 })),
      /check constraint/,
    );
  });

  test('concurrent batches sharing keys resolve to one pipeline per key', async () => {
    const tenant = `c-${randomBytes(3).toString('hex')}`;
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const batch = (order: string[]) =>
      insertPipelines(
        tdb.db,
        subjects,
        order.map((k) => newPipelineRow({ tenant_id: tenant, idempotency_key: k })),
      );
    const [a, b] = await Promise.all([batch(keys), batch([...keys].reverse())]);
    const ids = new Map<string, string>();
    for (const [results, order] of [
      [a, keys],
      [b, [...keys].reverse()],
    ] as const) {
      results.forEach((r, i) => {
        assert.equal(r.status, 'fulfilled');
        if (r.status !== 'fulfilled') return;
        const p = r.value.created ? r.value.pipeline : r.value.existing;
        const key = order[i] ?? '';
        assert.equal(p.idempotency_key, key);
        const seen = ids.get(key);
        if (seen) assert.equal(p.id, seen);
        else ids.set(key, p.id);
      });
    }
    const stored = await tdb.db
      .selectFrom('pipelines')
      .select('id')
      .where('tenant_id', '=', tenant)
      .execute();
    assert.equal(stored.length, keys.length);
  });

  test('one NOTIFY per statement, not per outbox row; none when nothing was inserted', async () => {
    const listener = new pg.Client({ connectionString: tdb.url });
    await listener.connect();
    const received: string[] = [];
    listener.on('notification', (n) => received.push(n.payload ?? ''));
    try {
      await listener.query('LISTEN outbox');
      const tenant = `n-${randomBytes(3).toString('hex')}`;
      const rows = Array.from({ length: 10 }, (_, i) =>
        newPipelineRow({ tenant_id: tenant, idempotency_key: `n${i}` }),
      );
      await insertPipelines(tdb.db, subjects, rows);
      // A round trip on the listener after the commit: the notification arrives before its answer.
      await listener.query('select 1');
      assert.equal(received.length, 1);
      // All duplicates: no outbox row, no wake-up.
      await insertPipelines(
        tdb.db,
        subjects,
        rows.map((r) => ({ ...r, id: randomUUID() })),
      );
      await listener.query('select 1');
      assert.equal(received.length, 1);
    } finally {
      await listener.end();
    }
  });
});
