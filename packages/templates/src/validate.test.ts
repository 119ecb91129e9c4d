import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinTemplates } from './builtins.ts';
import type { Template } from './template.ts';
import { validateConfig } from './validate.ts';

function builtin(name: string): Template {
  const t = builtinTemplates().find((b) => b.name === name);
  assert.ok(t, name);
  return t;
}

describe('validateConfig', () => {
  const cases: {
    name: string;
    template: string;
    config: unknown;
    expect: Record<string, unknown> | RegExp;
  }[] = [
    {
      name: 'applies defaults',
      template: 'data-processing',
      config: { input_path: '/a', output_path: '/b' },
      expect: { input_path: '/a', output_path: '/b', batch_size: 1000 },
    },
    {
      name: 'keeps given values',
      template: 'data-processing',
      config: { input_path: '/a', output_path: '/b', batch_size: 5 },
      expect: { input_path: '/a', output_path: '/b', batch_size: 5 },
    },
    {
      name: 'wrong type names the field',
      template: 'data-processing',
      config: { input_path: '/a', output_path: '/b', batch_size: 'ten' },
      expect: /^config\.batch_size: must be integer$/,
    },
    {
      name: 'missing required field',
      template: 'data-processing',
      config: { output_path: '/b' },
      expect: /^config: missing required field 'input_path'$/,
    },
    {
      name: 'all errors reported',
      template: 'data-processing',
      config: { batch_size: 0 },
      expect:
        /missing required field 'input_path'.*missing required field 'output_path'.*config\.batch_size: must be >= 1/,
    },
    {
      name: 'unknown field',
      template: 'data-processing',
      config: { input_path: '/a', output_path: '/b', shell: 'rm -rf /' },
      expect: /^config: unknown field 'shell'$/,
    },
    { name: 'not an object', template: 'data-processing', config: [1], expect: /^config: must be object$/ },
    { name: 'null', template: 'data-processing', config: null, expect: /^config: must be object$/ },
    {
      name: 'NUL in a path',
      template: 'data-processing',
      config: { input_path: 'a\u0000b', output_path: '/b' },
      expect: /^config\.input_path: must match pattern/,
    },
    {
      name: 'enum',
      template: 'etl',
      config: { source: '/a', destination: '/b', transform: 'reverse' },
      expect: /^config\.transform: must be one of "none", "uppercase", "lowercase", "strip"$/,
    },
    {
      name: 'etl default transform',
      template: 'etl',
      config: { source: '/a', destination: '/b' },
      expect: { source: '/a', destination: '/b', transform: 'none' },
    },
    {
      name: 'model-training defaults',
      template: 'model-training',
      config: { dataset_path: '/d' },
      expect: { dataset_path: '/d', epochs: 3, learning_rate: 0.01 },
    },
    {
      name: 'model-training epochs bound',
      template: 'model-training',
      config: { dataset_path: '/d', epochs: 1001 },
      expect: /^config\.epochs: must be <= 1000$/,
    },
    {
      name: 'backup default compress',
      template: 'backup',
      config: { source_path: '/s', destination_path: '/d' },
      expect: { source_path: '/s', destination_path: '/d', compress: true },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = validateConfig(builtin(c.template), c.config);
      if (c.expect instanceof RegExp) {
        assert.equal(r.ok, false);
        if (!r.ok) assert.match(r.message, c.expect);
      } else {
        assert.ok(r.ok, r.ok ? '' : r.message);
        if (r.ok) assert.deepEqual(r.config, c.expect);
      }
    });
  }

  it('does not mutate the caller config', () => {
    const config = { input_path: '/a', output_path: '/b' };
    validateConfig(builtin('data-processing'), config);
    assert.deepEqual(config, { input_path: '/a', output_path: '/b' });
  });

  it('reports an invalid schema instead of throwing', () => {
    const t = builtin('data-processing');
    const bad = {
      ...t,
      configSchema: { type: 'object' as const, properties: { x: { type: 'string' as const, pattern: '(' } } },
    };
    const r = validateConfig(bad, {});
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /invalid config schema/);
  });
});
