import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColdEvent, Store } from './store.ts';
import type { KubeObject } from './types.ts';
import { newUid } from './types.ts';

function obj(name: string, pad: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    data: { v: 'x'.repeat(pad) },
  } as KubeObject;
}

test('cold objects survive slab compaction: bodies and objects stay those of the current version', () => {
  const store = new Store();
  const n = 3_000;
  for (let i = 0; i < n; i++) store.create('configmaps', obj(`o${i}`, 200 + (i % 50)));
  store.sweep();
  store.sweep(); // every object is cold now
  // Remove most objects and rewrite others, so that most slabs become mostly dead and compact.
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) store.remove('configmaps', 'ns', `o${i}`);
    else if (i % 3 === 1) store.update('configmaps', obj(`o${i}`, 10));
  }
  store.sweep();
  store.sweep();
  for (let i = 0; i < n; i++) {
    const e = store.entry('configmaps', 'ns', `o${i}`);
    if (i % 3 === 0) {
      assert.equal(e, undefined);
      continue;
    }
    assert.ok(e);
    const body = store.bodyOf(e);
    assert.ok(Buffer.isBuffer(body), 'cold entries are served from their bytes');
    const o = JSON.parse(body.toString('utf8')) as { metadata: { name: string }; data: { v: string } };
    assert.equal(o.metadata.name, `o${i}`);
    assert.equal(o.data.v.length, i % 3 === 1 ? 10 : 200 + (i % 50));
    assert.deepEqual(store.peek(e), o);
  }
});

test('newUid makes distinct version 4 UUIDs', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const u = newUid();
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    seen.add(u);
  }
  assert.equal(seen.size, 2_000);
});

test('an object created cold is parsed only when read, and its deletion carries its identity', () => {
  const store = new Store();
  const events: ColdEvent[] = [];
  store.subscribe((e) => {
    if (e instanceof ColdEvent) events.push(e);
  });
  store.createCold(
    'configmaps',
    'ns',
    'a',
    'uid-a',
    (rv) =>
      `{"kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","uid":"uid-a","resourceVersion":"${rv}"}}`,
  );
  assert.equal(events[0]?.type, 'ADDED');
  assert.equal(store.get('configmaps', 'ns', 'a')?.metadata.resourceVersion, String(events[0]?.rv));
  store.sweep();
  store.sweep();
  store.sweep();
  store.drop('configmaps', 'ns', 'a');
  const del = events[1];
  assert.equal(del?.type, 'DELETED');
  assert.equal(del?.uid, 'uid-a');
  assert.equal(del?.object.metadata.name, 'a');
  assert.equal(del?.object.metadata.resourceVersion, String(del?.rv));
  assert.equal(store.count('configmaps'), 0);
});

test('a full GC (where exposed) runs once the store is quiet after a burst, not while it is busy', () => {
  const g = globalThis as { gc?: () => void };
  const saved = g.gc;
  let collections = 0;
  g.gc = () => void collections++;
  try {
    const store = new Store();
    for (let i = 0; i < 1_500; i++) store.create('configmaps', obj(`b${i}`, 50));
    store.sweep(); // the burst's entries were touched: busy
    store.create('configmaps', obj('late', 50));
    store.sweep(); // the burst goes cold, but 'late' was touched: still busy
    assert.equal(collections, 0);
    store.sweep(); // 'late' goes cold
    store.sweep(); // nothing touched for two sweeps: quiet
    assert.equal(collections, 1);
    store.sweep();
    store.sweep();
    assert.equal(collections, 1, 'nothing went cold since: no second GC');
  } finally {
    g.gc = saved;
  }
});
