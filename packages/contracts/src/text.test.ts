import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreatePipelineRequest, IdempotencyKey } from './api.ts';
import { findUnsafeText, unsafeText } from './text.ts';

test('unsafeText: what Postgres cannot store is refused; whitespace and U+2028 are data', () => {
  const cases: [string, 'data' | 'name', RegExp | null][] = [
    ['plain text ✓ 😀', 'data', null],
    ['tab\tline\nreturn\r', 'data', null],
    ['line\u2028para\u2029', 'data', null],
    ['a\u0000b', 'data', /NUL/],
    ['\ud800', 'data', /lone surrogate \(U\+D800\)/],
    ['x\udfffy', 'name', /lone surrogate \(U\+DFFF\)/],
    ['esc\u001b[31m', 'data', /control character \(U\+001B\)/],
    ['del\u007f', 'data', /U\+007F/],
    ['c1\u0085', 'data', /U\+0085/],
    ['tab\tname', 'name', /U\+0009/],
    ['line\u2028name', 'name', /U\+2028/],
  ];
  for (const [s, mode, want] of cases) {
    const got = unsafeText(s, mode);
    if (want === null) assert.equal(got, null, JSON.stringify(s));
    else assert.match(got ?? '', want, JSON.stringify(s));
  }
});

test('findUnsafeText names the nested field, keys as names, and survives 30,000 levels', () => {
  assert.deepEqual(findUnsafeText({ a: [1, { b: 'ok', c: 'x\u0000' }] }), {
    path: ['a', 1, 'c'],
    message: 'contains a NUL character (U+0000)',
  });
  const key = findUnsafeText({ a: { 'k\ud800': 1 } });
  assert.deepEqual(key?.path, ['a']);
  assert.match(key?.message ?? '', /the key "k\\ud800" contains a lone surrogate/);
  let deep: unknown = '\u0000';
  for (let i = 0; i < 30_000; i++) deep = [deep];
  assert.equal(findUnsafeText(deep)?.path.length, 30_000);
});

test('a pipeline config with a NUL or lone surrogate is refused naming the field; U+2028 passes', () => {
  const base = { pipeline_type: 'ETL', priority: 'Low' };
  const bad = CreatePipelineRequest.safeParse({ ...base, config: { source: { uri: 'a\u0000' } } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['config', 'source', 'uri']);
  assert.equal(CreatePipelineRequest.safeParse({ ...base, config: { s: '\ud83d' } }).success, false);
  assert.equal(CreatePipelineRequest.safeParse({ ...base, config: { s: 'a\u2028b\nc' } }).success, true);
});

test('idempotency keys are printable ASCII (HTTP header and NATS alike)', () => {
  assert.equal(IdempotencyKey.safeParse('order-4711').success, true);
  for (const k of ['', 'a b', 'a\u0000', '\ud800', 'é', 'x'.repeat(256)]) {
    assert.equal(IdempotencyKey.safeParse(k).success, false, JSON.stringify(k));
  }
});
