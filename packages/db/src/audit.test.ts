import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { subjects as subjectsFor } from '@po/contracts';
import { type AuditEntry, auditText, recordAudit } from './audit.ts';
import { insertPipelines } from './pipelines.ts';
import type { NewPipeline } from './schema.ts';
import { createTestDatabase, type TestDatabase } from './testing.ts';

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: 'key:1',
  tenantId: 't1',
  action: 'pipeline.create',
  target: null,
  requestId: 'r1',
  clientAddr: '10.0.0.1',
  outcome: 'ok',
  status: 201,
  ...over,
});

describe('auditText', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['POST /x\u0000y', 'POST /x\\u0000y'],
    ['lone \ud800 high', 'lone \\ud800 high'],
    ['lone \udc00 low', 'lone \\udc00 low'],
    ['pair 😀 kept', 'pair 😀 kept'],
    ['tab\tnl\n', 'tab\\u0009nl\\u000a'],
  ];
  for (const [raw, want] of cases) it(JSON.stringify(raw), () => assert.equal(auditText(raw), want));
  it('bounds the length without splitting a surrogate pair', () => {
    assert.equal(auditText('a'.repeat(10_000)).length, 512);
    const cut = auditText(`${'a'.repeat(511)}😀`);
    assert.equal(cut, 'a'.repeat(511));
  });
});

describe('audit rows in Postgres', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb.close());

  it('stores rows carrying NUL and lone surrogates instead of failing', async () => {
    await recordAudit(
      tdb.db,
      entry({ action: 'POST /x\u0000y', target: '\ud800', details: { k: '\u0000' } }),
    );
    const row = await tdb.db
      .selectFrom('audit_log')
      .selectAll()
      .where('request_id', '=', 'r1')
      .executeTakeFirstOrThrow();
    assert.equal(row.action, 'POST /x\\u0000y');
    assert.equal(row.status, 201);
    assert.deepEqual(row.details, { k: '\\u0000' });
  });

  it('a batch of creates writes each inserted row its own audit row, in the same statement', async () => {
    const s = subjectsFor('ta');
    const row = (id: string, key: string | null): NewPipeline => ({
      id,
      tenant_id: 't1',
      pipeline_type: '"ETL"',
      template: 'etl',
      template_version: 1,
      config: '{}',
      priority: 'Normal',
      priority_rank: 1,
      timeout_seconds: 60,
      namespace: 'pipelines',
      job: '{}',
      status: 'Queued',
      idempotency_key: key,
    });
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
    const first = await insertPipelines(
      tdb.db,
      s,
      [row(ids[0] ?? '', 'k1')],
      [entry({ requestId: 'c1', target: ids[0] ?? '' })],
    );
    assert.equal(first[0]?.status, 'fulfilled');
    // A replay of k1 inserts nothing, so it writes no row here; the second one is new.
    const second = await insertPipelines(
      tdb.db,
      s,
      [row('00000000-0000-4000-8000-000000000003', 'k1'), row(ids[1] ?? '', null)],
      [entry({ requestId: 'c2' }), entry({ requestId: 'c3', target: ids[1] ?? '', clientAddr: '\ud800' })],
    );
    assert.deepEqual(
      second.map((r) => r.status === 'fulfilled' && r.value.created),
      [false, true],
    );
    const rows = await tdb.db
      .selectFrom('audit_log')
      .select(['request_id', 'target', 'client_addr'])
      .where('request_id', 'in', ['c1', 'c2', 'c3'])
      .orderBy('request_id')
      .execute();
    assert.deepEqual(rows, [
      { request_id: 'c1', target: ids[0], client_addr: '10.0.0.1' },
      { request_id: 'c3', target: ids[1], client_addr: '\\ud800' },
    ]);
  });
});
