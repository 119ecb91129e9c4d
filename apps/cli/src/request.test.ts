import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from './errors.ts';
import { buildRequest } from './request.ts';

test('a request from flags', () => {
  assert.deepEqual(
    buildRequest(
      {
        type: 'DataProcessing',
        set: ['input_path=/in', 'batch_size=500', 'tags=["a"]'],
        priority: 'High',
        timeout: '60',
      },
      undefined,
    ),
    {
      pipeline_type: 'DataProcessing',
      config: { input_path: '/in', batch_size: 500, tags: ['a'] },
      priority: 'High',
      timeout_seconds: 60,
    },
  );
  assert.deepEqual(buildRequest({ template: 'gated', config: '{"gate_path":"/g"}' }, undefined), {
    pipeline_type: { Custom: { template: 'gated' } },
    config: { gate_path: '/g' },
    priority: 'Normal',
  });
});

test('a request from a YAML or JSON file, flags on top', () => {
  const yaml = 'pipeline_type: ETL\nconfig:\n  source: /a\npriority: Low\n';
  assert.deepEqual(buildRequest({ priority: 'Critical', set: ['dest=/b'] }, { text: yaml, name: 'r.yaml' }), {
    pipeline_type: 'ETL',
    config: { source: '/a', dest: '/b' },
    priority: 'Critical',
  });
  const json =
    '{"pipeline_type":{"Custom":{"template":"t"}},"config":{},"priority":"Normal","timeout_seconds":9}';
  assert.equal(buildRequest({}, { text: json, name: 'r.json' }).timeout_seconds, 9);
});

test('what the flags themselves get wrong is a usage error', () => {
  const bad: [Parameters<typeof buildRequest>[0], { text: string; name: string } | undefined][] = [
    [{}, undefined],
    [{ type: 'DataProcessing', template: 'x' }, undefined],
    [{ type: 'Nope' }, undefined],
    [{ type: 'ETL', set: ['novalue'] }, undefined],
    [{ type: 'ETL', timeout: '1.5' }, undefined],
    [{ type: 'ETL', config: '[1]' }, undefined],
    [{}, { text: '- a\n- b\n', name: 'list.yaml' }],
    [{}, { text: '{"a": ', name: 'broken.json' }],
  ];
  for (const [flags, file] of bad)
    assert.throws(() => buildRequest(flags, file), UsageError, JSON.stringify({ flags, file }));
});
