// Table tests of the pure cores behind issue 10: query decoding and validation, media negotiation,
// field sets and server-side apply.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apply, fieldsOf, printPath, recordUpdate, toFieldsV1 } from './managed-fields.ts';
import { negotiateOutput } from './media.ts';
import { boolParam, listQuery } from './query.ts';
import { ApiError } from './status.ts';

test('boolParam reads query booleans as Go does: only false/0 are false', () => {
  const cases: [string, boolean | undefined][] = [
    ['watch=true', true],
    ['watch=True', true],
    ['watch=t', true],
    ['watch=yes', true],
    ['watch=1', true],
    ['watch=', true],
    ['watch=false', false],
    ['watch=FALSE', false],
    ['watch=0', false],
    ['other=1', undefined],
  ];
  for (const [qs, want] of cases) assert.equal(boolParam(new URLSearchParams(qs), 'watch'), want, qs);
});

test('listQuery rejects what ValidateListOptions rejects', () => {
  const bad = [
    'resourceVersionMatch=Exact',
    'resourceVersion=0&resourceVersionMatch=Exact',
    'resourceVersion=5&resourceVersionMatch=Newest',
    'resourceVersion=5&resourceVersionMatch=Exact&continue=abc',
    'sendInitialEvents=true',
    'watch=1&resourceVersionMatch=NotOlderThan',
    'watch=1&sendInitialEvents=true',
  ];
  for (const qs of bad)
    assert.throws(
      () => listQuery(new URLSearchParams(qs)),
      (e: unknown) => e instanceof ApiError && e.code === 422,
      qs,
    );
  const ok = [
    '',
    'resourceVersion=5&resourceVersionMatch=Exact',
    'resourceVersion=0&resourceVersionMatch=NotOlderThan',
    'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
  ];
  for (const qs of ok) assert.doesNotThrow(() => listQuery(new URLSearchParams(qs)), qs);
});

test('negotiateOutput: first writable range wins; nothing writable is 406', () => {
  const cases: [string | undefined, 'json' | 'yaml' | 406][] = [
    [undefined, 'json'],
    ['*/*', 'json'],
    ['application/yaml', 'yaml'],
    ['application/vnd.kubernetes.protobuf, */*', 'json'],
    ['application/vnd.kubernetes.protobuf,application/json', 'json'],
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json', 'json'],
    ['application/yaml;q=0.5, application/json', 'json'],
    ['application/xml', 406],
    ['application/vnd.kubernetes.protobuf', 406],
  ];
  for (const [accept, want] of cases) {
    if (want === 406)
      assert.throws(
        () => negotiateOutput(accept),
        (e: unknown) => e instanceof ApiError && e.code === 406,
        accept,
      );
    else assert.equal(negotiateOutput(accept), want, accept);
  }
  assert.throws(() => negotiateOutput('application/yaml', true));
});

test('field sets: FieldsV1 keys, associative lists by name, maps with ".", printed paths', () => {
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', uid: 'u', labels: { a: '1' }, finalizers: ['f'] },
    spec: { parallelism: 1, template: { spec: { containers: [{ name: 'main', image: 'x', args: ['a'] }] } } },
    status: { active: 1 },
  };
  assert.deepEqual(toFieldsV1(fieldsOf(job)), {
    'f:metadata': { 'f:finalizers': { 'v:"f"': {} }, 'f:labels': { '.': {}, 'f:a': {} } },
    'f:spec': {
      'f:parallelism': {},
      'f:template': {
        'f:spec': {
          'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:args': {}, 'f:image': {}, 'f:name': {} } },
        },
      },
    },
  });
  assert.equal(
    printPath('f:spec\u0000f:template\u0000f:spec\u0000f:containers\u0000k:{"name":"main"}\u0000f:image'),
    '.spec.template.spec.containers[name="main"].image',
  );
  assert.equal(printPath('f:metadata\u0000f:finalizers\u0000v:"f"'), '.metadata.finalizers[="f"]');
});

test('apply: fields a manager stops applying go; fields another manager set stay; conflicts list them', () => {
  const first = apply(undefined, { metadata: { labels: { a: '1', b: '2' } } }, 'm1', 'v1', false).object;
  const second = apply(first, { metadata: { labels: { a: '1' } } }, 'm1', 'v1', false).object;
  assert.deepEqual((second.metadata as { labels: unknown }).labels, { a: '1' });
  const updated = structuredClone(second);
  (updated.metadata as { labels: Record<string, string> }).labels.c = '3';
  recordUpdate(second, updated, 'editor', 'v1');
  const managers = (
    updated.metadata as { managedFields: { manager: string; operation: string }[] }
  ).managedFields.map((m) => `${m.manager}/${m.operation}`);
  assert.deepEqual(managers, ['m1/Apply', 'editor/Update']);
  const third = apply(updated, { metadata: { labels: { a: '1' } } }, 'm1', 'v1', false).object;
  assert.deepEqual((third.metadata as { labels: unknown }).labels, { a: '1', c: '3' });
  assert.throws(
    () => apply(third, { metadata: { labels: { c: '4' } } }, 'm2', 'v1', false),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 409 &&
      /^Apply failed with 1 conflict: conflict with "editor" using v1: \.metadata\.labels\.c$/.test(
        e.message,
      ),
  );
});
