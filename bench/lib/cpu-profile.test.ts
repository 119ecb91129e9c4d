import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byLayer, byPackage, type CpuProfile } from './cpu-profile.ts';

const frame = (id: number, functionName: string, url = '') => ({ id, callFrame: { functionName, url } });

test('byLayer sums sample time by the layer of the sampled script, idle apart, largest first', () => {
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(idle)'),
      frame(2, 'dispatch', 'file:///x/node_modules/.pnpm/hono@4.13.19/node_modules/hono/dist/compose.js'),
      frame(3, 'insertRows', 'file:///x/packages/db/src/pipelines.ts'),
      frame(4, 'writev'),
      frame(5, 'mystery', 'file:///x/elsewhere.js'),
      frame(6, '(garbage collector)'),
    ],
    samples: [1, 2, 3, 3, 4, 5, 6, 1],
    timeDeltas: [5000, 1000, 2000, 2000, 1000, 500, 500, 5000],
  };
  const r = byLayer(profile);
  assert.equal(r.idleMs, 10);
  assert.equal(r.busyMs, 7);
  assert.deepEqual(
    r.layers.map((l) => [l.name, l.ms]),
    [
      ['database: kysely, pg, @po/db', 4],
      ['HTTP: hono, @hono/node-server, node:http', 1],
      ['socket writes (writev, write*String, writeBuffer)', 1],
      ['other', 0.5],
      ['GC', 0.5],
    ],
  );
  assert.ok(Math.abs(r.layers.reduce((a, l) => a + l.share, 0) - 1) < 1e-9);
});

test('an empty profile is all zeros, not NaN', () => {
  const r = byLayer({ nodes: [], samples: [], timeDeltas: [] });
  assert.deepEqual([r.busyMs, r.idleMs, r.layers], [0, 0, []]);
});

test('byPackage gives each sample to the nearest package on its stack; start-up left out', () => {
  const pg = 'file:///x/node_modules/.pnpm/pg@8.23.1/node_modules/pg/lib/query.js';
  const profile = {
    nodes: [
      { ...frame(1, '(root)'), children: [2, 5, 6, 7] },
      { ...frame(2, 'submit', pg), children: [3] },
      { ...frame(3, 'writev'), children: [] },
      { ...frame(4, 'run', 'file:///x/apps/watcher/src/watcher.ts'), children: [] },
      { ...frame(5, 'import', 'node:internal/modules/esm/loader'), children: [4] },
      { ...frame(6, '(garbage collector)'), children: [] },
      { ...frame(7, '(idle)'), children: [] },
    ],
    samples: [3, 2, 4, 6, 7],
    timeDeltas: [3000, 1000, 9000, 1000, 9000],
  };
  const r = byPackage(profile);
  assert.equal(r.busyMs, 5);
  assert.deepEqual(
    r.packages.map((p) => [p.name, p.ms]),
    [
      ['pg', 4],
      ['(garbage collector)', 1],
    ],
  );
});
