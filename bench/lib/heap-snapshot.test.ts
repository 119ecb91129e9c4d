import assert from 'node:assert/strict';
import { test } from 'node:test';
import { breakdown, packageOf } from './heap-snapshot.ts';

test('packageOf names the package a loaded file belongs to', () => {
  const cases: [string, string][] = [
    [
      'file:///w/node_modules/.pnpm/@opentelemetry+sdk-node@0.3/node_modules/@opentelemetry/sdk-node/build/index.js',
      '@opentelemetry/sdk-node',
    ],
    ['/w/node_modules/.pnpm/pg@8.23.0/node_modules/pg/lib/client.js', 'pg'],
    ['file:///w/packages/db/src/client.ts', 'packages/db'],
    ['file:///w/apps/watcher/src/main.ts', 'apps/watcher'],
    ['node:internal/streams/readable', 'node: (built-in modules)'],
  ];
  for (const [file, want] of cases) assert.equal(packageOf(file), want, file);
});

test('breakdown sums self sizes by type and script sources by package', () => {
  // Three nodes: a script (code, named by its file) with an internal `source` edge to a string.
  const snapshot = {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
        node_types: [['hidden', 'string', 'code', 'object']],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [['context', 'element', 'property', 'internal']],
      },
    },
    // code "file:///w/node_modules/pg/x.js" (1 edge); string (source) 3 MiB; object Foo 1 MiB
    nodes: [2, 0, 1, 1024, 1, 1, 1, 2, 3 * 2 ** 20, 0, 3, 3, 3, 2 ** 20, 0],
    edges: [3, 2, 5],
    strings: ['file:///w/node_modules/pg/x.js', 'import pg', 'source', 'Foo'],
  };
  const b = breakdown(JSON.stringify(snapshot));
  assert.equal(b.scripts, 1);
  assert.deepEqual(b.scriptSourceMiBByPackage, [['pg', 3]]);
  assert.equal(b.byTypeMiB.string, 3);
  assert.equal(b.byTypeMiB.object, 1);
  assert.deepEqual(b.topNamesMiB[0], ['string: import pg', 3]);
});
