/**
 * docs/operations.md documents every environment variable the code reads (e2e/env-scan.ts finds
 * them: `process.env` reads and the schemas given to parseConfig), with a default and a meaning.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { envVarsDocumented, envVarsRead, ROOT } from './env-scan.ts';

const doc = readFileSync(`${ROOT}/docs/operations.md`, 'utf8');

test('every environment variable the code reads is in docs/operations.md', async () => {
  const read = await envVarsRead();
  const documented = envVarsDocumented(doc);
  const missing = [...read]
    .filter(([name]) => !documented.has(name))
    .map(([n, f]) => `${n} (${[...f].join(', ')})`);
  assert.deepEqual(missing, [], 'undocumented variables');
  // The scan itself finds what it must: a variable of each kind of reader.
  for (const name of [
    'DATABASE_URL',
    'OPS_PORT',
    'WATCHER_LEASE_NAME',
    'SSE_IDLE_TIMEOUT_SECONDS',
    'MIGRATION_WAIT_SECONDS',
  ]) {
    assert.ok(read.has(name), `scan finds ${name}`);
  }
});

test('each documented variable has a default, readers and a meaning', () => {
  const rows = doc.split('\n').filter((l) => /^\|\s*`[A-Z][A-Z0-9_]*`/.test(l));
  assert.ok(rows.length >= 50, `${rows.length} rows`);
  for (const row of rows) {
    const cells = row
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    assert.equal(cells.length, 4, row);
    for (const c of cells) assert.ok(c.length > 0, `empty cell in ${row}`);
  }
});
