import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinTemplates } from './builtins.ts';
import { checkTemplatePolicy, DEFAULT_TEMPLATE_POLICY, type TemplatePolicy } from './policy.ts';
import type { JsonSchemaProperty } from './template.ts';
import { testTemplate } from './test-template.ts';

const policy = (over: Partial<TemplatePolicy> = {}): TemplatePolicy => ({
  ...DEFAULT_TEMPLATE_POLICY,
  ...over,
});
const count = (over: Partial<JsonSchemaProperty> = {}): JsonSchemaProperty => ({
  type: 'integer',
  minimum: 1,
  maximum: 1,
  ...over,
});

describe('checkTemplatePolicy', () => {
  const cases: {
    name: string;
    props: Record<string, JsonSchemaProperty>;
    pol?: Partial<TemplatePolicy>;
    image?: string;
    want: RegExp[];
  }[] = [
    { name: 'no counts, any image', props: {}, want: [] },
    { name: 'parallelism within the default cap', props: { parallelism: count() }, want: [] },
    {
      name: 'parallelism above the default cap of 1',
      props: { parallelism: count({ maximum: 4 }) },
      want: [/parallelism: needs a maximum of at most 1/],
    },
    {
      name: 'parallelism without a maximum (2^53-1 would pass)',
      props: { parallelism: count({ maximum: undefined as unknown as number }) },
      want: [/parallelism: needs a maximum/],
    },
    {
      name: 'completions above a configured cap',
      props: { completions: count({ maximum: 9 }) },
      pol: { maxCompletions: 8 },
      want: [/completions: needs a maximum of at most 8/],
    },
    {
      name: 'counts within a raised cap',
      props: { parallelism: count({ maximum: 4 }), completions: count({ maximum: 8 }) },
      pol: { maxParallelism: 4, maxCompletions: 8 },
      want: [],
    },
    {
      name: 'a number, not an integer',
      props: { parallelism: { type: 'number', maximum: 1 } },
      want: [/must be an integer/],
    },
    {
      name: 'a default above the cap',
      props: { parallelism: count({ default: 5 }) },
      want: [/default must be an integer of at most 1/],
    },
    {
      name: 'an image outside the allow-list',
      props: {},
      pol: { imageAllowList: ['registry.io/team/*'] },
      want: [/image: 'python:3.11-slim' is not in the image allow-list/],
    },
    { name: 'an image inside the allow-list', props: {}, pol: { imageAllowList: ['python'] }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problems = checkTemplatePolicy(
        testTemplate(c.props, c.image ? { image: c.image } : {}),
        policy(c.pol),
      );
      assert.equal(problems.length, c.want.length, problems.join('; '));
      for (const [i, re] of c.want.entries()) assert.match(problems[i] ?? '', re);
    });
  }

  it('the built-in templates pass the default policy with the allow-list infra/ sets', () => {
    for (const t of builtinTemplates())
      assert.deepEqual(checkTemplatePolicy(t, policy({ imageAllowList: ['python:3.11-slim'] })), [], t.name);
  });
});
