import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configOf, fieldsNamed, fieldsOf, pipelineTypeFor } from './schema-form.ts';

const schema = {
  type: 'object',
  properties: {
    input_path: { type: 'string', description: 'where to read' },
    batch_size: { type: 'integer', default: 1000 },
    ratio: { type: 'number' },
    dry_run: { type: 'boolean' },
    mode: { type: 'string', enum: ['fast', 'slow'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['input_path'],
};

describe('a form from a config schema', () => {
  test('one field per property, with its kind, requiredness and initial value', () => {
    const fields = fieldsOf(schema, { mode: 'slow' });
    assert.deepEqual(
      fields.map((f) => [f.name, f.kind, f.required, f.initial]),
      [
        ['input_path', 'text', true, ''],
        ['batch_size', 'integer', false, '1000'],
        ['ratio', 'number', false, ''],
        ['dry_run', 'boolean', false, 'false'],
        ['mode', 'choice', false, 'slow'],
        ['tags', 'json', false, ''],
      ],
    );
    assert.deepEqual(fields[4]?.choices, ['fast', 'slow']);
    assert.equal(fields[0]?.description, 'where to read');
    assert.deepEqual(fieldsOf(undefined), []);
  });

  test('the config: typed values, empty optional fields left out, bad text sent as typed', () => {
    const fields = fieldsOf(schema);
    assert.deepEqual(
      configOf(fields, { input_path: '/in', batch_size: '20', ratio: '', dry_run: 'true', tags: '["a"]' }),
      { input_path: '/in', batch_size: 20, dry_run: true, tags: ['a'] },
    );
    assert.deepEqual(configOf(fields, { input_path: '', batch_size: 'lots', tags: '[oops' }), {
      input_path: '',
      batch_size: 'lots',
      dry_run: false,
      tags: '[oops',
    });
  });

  test('fieldsNamed reads the fields out of an API message', () => {
    assert.deepEqual(
      fieldsNamed(
        'Invalid pipeline configuration: config.input_path: must be string; config.batch-size: too big',
      ),
      ['input_path', 'batch-size'],
    );
    assert.deepEqual(fieldsNamed('priority: invalid'), []);
  });

  test('pipelineTypeFor: built-ins by their type name, others as Custom', () => {
    assert.equal(pipelineTypeFor({ name: 'data-processing', builtin: true }), 'DataProcessing');
    assert.equal(pipelineTypeFor({ name: 'etl', builtin: true }), 'ETL');
    assert.deepEqual(pipelineTypeFor({ name: 'gated', builtin: false }), { Custom: { template: 'gated' } });
  });
});
