import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createDb } from './client.ts';
import { PreparedNames } from './prepared.ts';
import { databaseForTests } from './testing.ts';

const tdb = databaseForTests();

test('each distinct text gets one name, the same every time, until the limit; then none', () => {
  const names = new PreparedNames(2);
  const cases: [string, string | undefined][] = [
    ['select $1', 'po_0'],
    ['select $1 + 1', 'po_1'],
    ['select $1', 'po_0'],
    ['select $1 + 2', undefined], // past the limit: unnamed
    ['select $1 + 1', 'po_1'],
  ];
  for (const [text, name] of cases) assert.equal(names.nameOf(text), name, text);
  assert.equal(names.size, 2);
});

test('a parameterised statement is prepared once per connection and gives the same answers', async () => {
  const handle = createDb({ connectionString: tdb.url, max: 1, applicationName: 'po-test-prepared' });
  try {
    const add = (n: number) => sql<{ n: number }>`select ${n}::int + 1 as n`.execute(handle.db);
    for (const n of [1, 2, 3, 4, 5, 6, 7]) assert.equal((await add(n)).rows[0]?.n, n + 1);
    // Without parameters: simple protocol, several statements in one text still work.
    await sql.raw('begin; select 1; commit').execute(handle.db);
    // A failing execution leaves the statement usable.
    await assert.rejects(sql`select 1 / ${0}::int`.execute(handle.db), /division by zero/);
    await assert.rejects(sql`select 1 / ${0}::int`.execute(handle.db), /division by zero/);
    const prepared = await sql<{
      statement: string;
    }>`select statement from pg_prepared_statements where statement like ${'%select%+ 1 as n%'}`.execute(
      handle.db,
    );
    assert.equal(prepared.rows.length, 1, 'one prepared statement for seven executions');
  } finally {
    await handle.close();
  }
});

test('prepare: false sends every statement unnamed', async () => {
  const handle = createDb({ connectionString: tdb.url, max: 1, prepare: false });
  try {
    await sql`select ${1}::int as n`.execute(handle.db);
    const prepared = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_prepared_statements where ${1} = 1`.execute(handle.db);
    assert.equal(prepared.rows[0]?.n, 0);
  } finally {
    await handle.close();
  }
});

test('a migration that changes the columns of a prepared `select *` fails it once; the retry prepares it again', async () => {
  const handle = createDb({ connectionString: tdb.url, max: 1, applicationName: 'po-test-prepared' });
  try {
    await sql`create table prepared_stale (a int)`.execute(handle.db);
    await sql`insert into prepared_stale values (1)`.execute(handle.db);
    const read = () => sql`select * from prepared_stale where a = ${1}`.execute(handle.db);
    assert.deepEqual((await read()).rows, [{ a: 1 }]);
    await sql`alter table prepared_stale add column b int`.execute(handle.db);
    await assert.rejects(read(), /cached plan must not change result type/);
    assert.deepEqual((await read()).rows, [{ a: 1, b: null }]);
    assert.deepEqual((await read()).rows, [{ a: 1, b: null }]);
  } finally {
    await sql`drop table if exists prepared_stale`.execute(handle.db);
    await handle.close();
  }
});

test('the limit counts every name given: texts forgotten and named again do not exceed it', () => {
  const names = new PreparedNames(2);
  assert.equal(names.nameOf('a $1'), 'po_0');
  names.forget('a $1');
  assert.equal(names.nameOf('a $1'), 'po_1');
  names.forget('a $1');
  assert.equal(names.nameOf('a $1'), undefined);
});
