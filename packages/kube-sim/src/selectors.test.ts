import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError } from './status.ts';

const labels = { app: 'web', tier: 'front', 'batch.kubernetes.io/job-name': 'j1' };

test('label selectors: =, ==, !=, in, notin, exists, !key', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web, db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['missing notin (db)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['batch.kubernetes.io/job-name=j1', true],
    ['app in (web),!missing,tier', true],
  ];
  for (const [sel, want] of cases) assert.equal(matchLabels(parseLabelSelector(sel), labels), want, sel);
});

test('invalid label selectors are 400 BadRequest', () => {
  for (const sel of ['app=', 'app=web,', '=x', 'a b']) {
    if (sel === 'app=') continue; // an empty value is valid
    assert.throws(
      () => parseLabelSelector(sel),
      (e: unknown) => e instanceof ApiError && e.code === 400,
      sel,
    );
  }
});

test('field selectors: supported fields only', () => {
  assert.deepEqual(
    parseFieldSelector('metadata.name=a,status.phase!=Running', ['metadata.name', 'status.phase']),
    [
      { field: 'metadata.name', op: 'eq', value: 'a' },
      { field: 'status.phase', op: 'neq', value: 'Running' },
    ],
  );
  assert.throws(
    () => parseFieldSelector('spec.foo=a', ['metadata.name']),
    (e: unknown) =>
      e instanceof ApiError && e.code === 400 && e.message === 'field label not supported: spec.foo',
  );
});
