import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinTemplates } from './builtins.ts';
import { renderJob, TemplateError } from './render.ts';
import type { Template } from './template.ts';
import { testTemplate } from './test-template.ts';
import { validateConfig } from './validate.ts';

const PID = '0b7f6c1e-1111-4222-8333-444455556666';

const tpl = (over: Partial<Template> = {}): Template =>
  testTemplate(
    {
      mode: { type: 'string', enum: ['fast', 'slow'] },
      n: { type: 'integer' },
      text: { type: 'string' },
    },
    over,
  );

function dataProcessing(): Template {
  const t = builtinTemplates().find((b) => b.name === 'data-processing');
  assert.ok(t);
  return t;
}

describe('renderJob', () => {
  it('renders the data-processing template with defaults applied', () => {
    const v = validateConfig(dataProcessing(), { input_path: '/in.txt', output_path: '/out.json' });
    assert.ok(v.ok);
    const job = renderJob(dataProcessing(), { pipelineId: PID, config: v.config });
    assert.equal(job.template, 'data-processing');
    assert.equal(job.image, 'python:3.11-slim');
    assert.deepEqual(job.command, ['python3', '-c']);
    assert.equal(job.args.length, 1);
    assert.deepEqual(job.env, {
      INPUT_PATH: '/in.txt',
      OUTPUT_PATH: '/out.json',
      BATCH_SIZE: '1000',
      PIPELINE_ID: PID,
      PYTHONUNBUFFERED: '1',
    });
    assert.deepEqual(job.resources, {
      cpu_request: '100m',
      memory_request: '256Mi',
      cpu_limit: '500m',
      memory_limit: '1Gi',
    });
    assert.equal(job.backoffLimit, 0);
  });

  const cases: { name: string; value: unknown; expected: string }[] = [
    { name: 'string', value: 'abc', expected: 'abc' },
    { name: 'integer', value: 42, expected: '42' },
    { name: 'number', value: 0.5, expected: '0.5' },
    { name: 'boolean', value: false, expected: 'false' },
    { name: 'object as JSON', value: { a: [1, 'x'] }, expected: '{"a":[1,"x"]}' },
    { name: 'array as JSON', value: [1, 2], expected: '[1,2]' },
    { name: 'null as JSON', value: null, expected: 'null' },
  ];
  for (const c of cases) {
    it(`stringifies ${c.name}`, () => {
      const job = renderJob(tpl({ env: { V: 'v={{v}}' } }), { pipelineId: PID, config: { v: c.value } });
      assert.equal(job.env.V, `v=${c.expected}`);
    });
  }

  it('resolves pipeline_id and tolerates spaces inside the braces', () => {
    const job = renderJob(tpl({ args: ['id={{ pipeline_id }}', '--mode={{mode}}'] }), {
      pipelineId: PID,
      config: { mode: 'fast' },
    });
    assert.deepEqual(job.args, [`id=${PID}`, '--mode=fast']);
  });

  it('is single-pass: a value containing {{x}} is not rendered again', () => {
    const job = renderJob(tpl({ env: { A: '{{text}}' }, args: ['{{mode}}'] }), {
      pipelineId: PID,
      config: { text: '{{mode}} {{pipeline_id}} {{nope}}', mode: '{{text}}' },
    });
    assert.equal(job.env.A, '{{mode}} {{pipeline_id}} {{nope}}');
    assert.deepEqual(job.args, ['{{text}}']);
  });

  const unresolved: { name: string; t: Template }[] = [
    { name: 'unknown key in args', t: tpl({ args: ['{{missing}}'] }) },
    { name: 'unknown key in env', t: tpl({ env: { X: 'a{{missing}}b' } }) },
    { name: 'malformed marker', t: tpl({ args: ['{{not-an-ident}}'] }) },
    { name: 'empty marker', t: tpl({ args: ['{{}}'] }) },
    { name: 'templated later command element', t: tpl({ command: ['python3', '{{missing}}'] }) },
  ];
  for (const c of unresolved) {
    it(`throws TemplateError on ${c.name}`, () => {
      assert.throws(
        () => renderJob(c.t, { pipelineId: PID, config: {} }),
        (e: unknown) =>
          e instanceof TemplateError && e.name === 'TemplateError' && /unresolved|command/.test(e.message),
      );
    });
  }

  it('never templates command[0]', () => {
    assert.throws(
      () => renderJob(tpl({ command: ['{{text}}'] }), { pipelineId: PID, config: { text: 'sh' } }),
      TemplateError,
    );
  });

  it('PIPELINE_ID and PYTHONUNBUFFERED cannot be overridden by template env', () => {
    const job = renderJob(tpl({ env: { PIPELINE_ID: 'evil', PYTHONUNBUFFERED: '0' } }), {
      pipelineId: PID,
      config: {},
    });
    assert.equal(job.env.PIPELINE_ID, PID);
    assert.equal(job.env.PYTHONUNBUFFERED, '1');
  });

  it('takes parallelism/completions only when the schema declares them', () => {
    const plain = renderJob(tpl(), { pipelineId: PID, config: { parallelism: 50 } });
    assert.equal(plain.parallelism, undefined);
    const declared = tpl({
      configSchema: {
        type: 'object',
        properties: {
          parallelism: { type: 'integer', minimum: 1, maximum: 4 },
          completions: { type: 'integer', minimum: 1, maximum: 4 },
        },
      },
      ttlSecondsAfterFinished: 100,
    });
    const job = renderJob(declared, { pipelineId: PID, config: { parallelism: 2, completions: 3 } });
    assert.equal(job.parallelism, 2);
    assert.equal(job.completions, 3);
    assert.equal(job.ttlSecondsAfterFinished, 100);
  });

  it('carries the retryable exit codes to the Job spec the watcher reads, only when listed', () => {
    assert.equal(renderJob(tpl(), { pipelineId: PID, config: {} }).retryableExitCodes, undefined);
    const job = renderJob(tpl({ retryableExitCodes: [75] }), { pipelineId: PID, config: {} });
    assert.deepEqual(job.retryableExitCodes, [75]);
  });
});

describe('renderJob with injection payloads', () => {
  const payloads = [
    `"; rm -rf / #`,
    `'; echo pwned; '`,
    '$(touch /tmp/pwned)',
    '`id`',
    'a\nb\r\nc',
    'x && y || z | w > /etc/passwd',
    '{{pipeline_id}}',
    '{{ {{input_path}} }}',
    '}}{{',
    'ünïcødé ✓ \u202e\u200b 🚀',
    ' leading and trailing spaces ',
    '--help',
    '',
  ];
  const t = dataProcessing();
  const baseline = renderJob(t, {
    pipelineId: PID,
    config: { input_path: '/a', output_path: '/b', batch_size: 1 },
  });
  for (const p of payloads) {
    it(`keeps argv's shape for ${JSON.stringify(p)}`, () => {
      const v = validateConfig(t, { input_path: p || 'x', output_path: p || 'y' });
      assert.ok(v.ok, v.ok ? '' : v.message);
      const job = renderJob(t, { pipelineId: PID, config: v.config });
      assert.deepEqual(job.command, baseline.command);
      assert.deepEqual(job.args, baseline.args);
      assert.equal(job.env.INPUT_PATH, p || 'x');
      assert.equal(job.env.OUTPUT_PATH, p || 'y');
      assert.deepEqual(Object.keys(job.env).sort(), Object.keys(baseline.env).sort());
    });
  }

  it('an args placeholder still yields exactly one argv element per template arg', () => {
    const custom = tpl({ args: ['--text={{text}}', 'fixed'] });
    for (const p of payloads) {
      const job = renderJob(custom, { pipelineId: PID, config: { text: p } });
      assert.deepEqual(job.args, [`--text=${p}`, 'fixed']);
    }
  });
});
