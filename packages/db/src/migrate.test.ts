import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest } from './migrate.ts';
import { createTestDatabase } from './testing.ts';

test('migrating an up-to-date database is a no-op', async () => {
  const tdb = await createTestDatabase();
  try {
    assert.deepEqual(await migrateToLatest(tdb.db), []);
    const { rows } = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(tdb.db);
    const files = readdirSync(new URL('./migrations/', import.meta.url)).filter((f) => f.endsWith('.ts'));
    assert.equal(Number(rows[0]?.n), files.length);
  } finally {
    await tdb.close();
  }
});
