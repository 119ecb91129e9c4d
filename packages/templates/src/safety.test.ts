import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinTemplates } from './builtins.ts';
import { isArgSafePattern } from './pattern-safety.ts';
import { checkTemplateSafety } from './safety.ts';
import { type Template, TemplateSpec } from './template.ts';
import { testTemplate } from './test-template.ts';

const tpl = (over: Partial<Template> = {}): Template =>
  testTemplate(
    {
      free: { type: 'string' },
      mode: { type: 'string', enum: ['fast', 'slow'] },
      badEnum: { type: 'string', enum: ['ok', 'a;b'] },
      n: { type: 'integer' },
      x: { type: 'number' },
      flag: { type: 'boolean' },
      id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' },
      dashy: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
      dashEnum: { type: 'string', enum: ['ok', '-rf'] },
      loose: { type: 'string', pattern: '[a-z]+' },
      dotty: { type: 'string', pattern: '^.+$' },
    },
    { args: ['import os; print(os.environ["X"])'], ...over },
  );

describe('checkTemplateSafety', () => {
  it('passes every built-in', () => {
    for (const t of builtinTemplates()) assert.deepEqual(checkTemplateSafety(t), [], t.name);
  });

  const cases: { name: string; t: Template; problem: RegExp | null }[] = [
    { name: 'no placeholders', t: tpl(), problem: null },
    { name: 'enum in args', t: tpl({ args: ['--mode={{mode}}'] }), problem: null },
    { name: 'integer in args', t: tpl({ args: ['{{n}}', '{{x}}', '{{flag}}'] }), problem: null },
    { name: 'safe pattern in args', t: tpl({ args: ['--id={{id}}'] }), problem: null },
    {
      name: 'pattern admitting a leading - in args (option injection)',
      t: tpl({ args: ['{{dashy}}'] }),
      problem: /config\.dashy pattern .* a leading '-'/,
    },
    {
      name: 'enum value with a leading - in args',
      t: tpl({ args: ['{{dashEnum}}'] }),
      problem: /enum value "-rf"/,
    },
    { name: 'pipeline_id in args', t: tpl({ args: ['{{pipeline_id}}'] }), problem: null },
    { name: 'free string in env', t: tpl({ env: { FREE: '{{free}}' } }), problem: null },
    {
      name: 'free string in args',
      t: tpl({ args: ['{{free}}'] }),
      problem: /args\[0\].*config\.free must be constrained/,
    },
    {
      name: 'free string in command[1]',
      t: tpl({ command: ['sh', '-c', 'echo {{free}}'] }),
      problem: /command\[2\]/,
    },
    {
      name: 'unanchored pattern',
      t: tpl({ args: ['{{loose}}'] }),
      problem: /pattern "\[a-z\]\+" is not anchored/,
    },
    { name: 'dot pattern', t: tpl({ args: ['{{dotty}}'] }), problem: /pattern/ },
    { name: 'unsafe enum value', t: tpl({ args: ['{{badEnum}}'] }), problem: /enum value "a;b"/ },
    { name: 'templated executable', t: tpl({ command: ['{{mode}}'] }), problem: /command\[0\]/ },
    { name: 'empty command', t: tpl({ command: [] }), problem: /command: must name/ },
    {
      name: 'unknown placeholder',
      t: tpl({ env: { A: '{{nope}}' } }),
      problem: /env\.A: placeholder \{\{nope\}\} is not a config property/,
    },
    { name: 'malformed placeholder', t: tpl({ args: ['{{a b}}'] }), problem: /malformed placeholder/ },
    { name: 'reserved env', t: tpl({ env: { TRACEPARENT: 'x' } }), problem: /env\.TRACEPARENT: reserved/ },
    {
      name: 'loader env',
      t: tpl({ env: { LD_PRELOAD: '{{free}}' } }),
      problem: /env\.LD_PRELOAD: not allowed/,
    },
    {
      name: 'required but undeclared',
      t: tpl({ configSchema: { type: 'object', properties: {}, required: ['ghost'] } }),
      problem: /'ghost' is not a declared property/,
    },
    {
      name: 'schema that does not compile',
      t: tpl({ configSchema: { type: 'object', properties: { p: { type: 'string', pattern: '(' } } } }),
      problem: /configSchema\.properties\.p\.pattern: not supported by the linear-time \(RE2\) engine/,
    },
    {
      name: 'a backreference (RE2 has none: the engine in use is RE2)',
      t: tpl({
        configSchema: { type: 'object', properties: { p: { type: 'string', pattern: '^(a+)\\1$' } } },
      }),
      problem:
        /configSchema\.properties\.p\.pattern: not supported by the linear-time \(RE2\) engine: invalid escape sequence/,
    },
    {
      name: 'a lookahead',
      t: tpl({
        configSchema: { type: 'object', properties: { p: { type: 'string', pattern: '^(?=a)a+$' } } },
      }),
      problem: /configSchema\.properties\.p\.pattern: not supported by the linear-time \(RE2\) engine/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const problems = checkTemplateSafety(c.t);
      if (c.problem === null) assert.deepEqual(problems, []);
      else
        assert.ok(
          problems.some((p) => c.problem?.test(p)),
          problems.join('\n'),
        );
    });
  }
});

describe('isArgSafePattern', () => {
  const table: [string, boolean][] = [
    ['^[a-z0-9][a-z0-9-]*$', true],
    ['^[A-Za-z0-9._/][A-Za-z0-9._/-]{0,254}$', true],
    ['^a?b-c$', true],
    ['^(?:x|y)-z$', true],
    ['^(a|b)*c-$', true],
    ['^s3://[a-z0-9.-]+(/[A-Za-z0-9._-]+)*$', true],
    ['^\\d+$', true],
    ['^\\w+(?:\\.\\w+)?$', true],
    ['^(csv|json|parquet)$', true],
    ['[a-z]+', false],
    ['^[a-z]+', false],
    ['[a-z]+$', false],
    ['^a|b$', false],
    ['^.*$', false],
    ['^[^;]+$', false],
    ['^[a-z ]+$', false],
    ['^[!-~]+$', false],
    ['^[a-z$]+$', false],
    ['^[a-z\\s]+$', false],
    ['^\\S+$', false],
    ['^[a-z]+\\$', false],
    ['^(?=x)[a-z]+$', false],
    ['^[a-zé]+$', false],
    ['^[a-z\\n]+$', false],
    ['^(unclosed$', false],
    ['^[a-z]+;$', false],
    // A value that may start with '-' would be read as an option (option injection).
    ['^[a-z0-9-]+$', false],
    ['^[A-Za-z0-9._/-]{1,255}$', false],
    ['^-x$', false],
    ['^\\-x$', false],
    ['^[+--]x$', false],
    ['^a?-$', false],
    ['^a*-$', false],
    ['^a{0,3}-$', false],
    ['^(a|-)x$', false],
    ['^(a|)-$', false],
    ['^(?:a?)-$', false],
    ['^(a)?-$', false],
    ['^(?:(?:a|b?)c?)-$', false],
  ];
  for (const [pattern, safe] of table) {
    it(`${pattern} → ${safe}`, () => assert.equal(isArgSafePattern(pattern), safe));
  }
});

describe('TemplateSpec', () => {
  it('accepts every built-in', () => {
    for (const t of builtinTemplates()) {
      const r = TemplateSpec.safeParse(t);
      assert.ok(r.success, r.success ? '' : r.error.message);
    }
  });

  const bad: [string, (t: Record<string, unknown>) => void][] = [
    [
      'unknown key',
      (t) => {
        t.privileged = true;
      },
    ],
    [
      'bad name',
      (t) => {
        t.name = 'Data_Processing';
      },
    ],
    [
      'image with spaces',
      (t) => {
        t.image = 'python:3.11 ; rm';
      },
    ],
    [
      'empty command',
      (t) => {
        t.command = [];
      },
    ],
    [
      'too many args',
      (t) => {
        t.args = Array.from({ length: 33 }, () => 'x');
      },
    ],
    [
      'huge arg',
      (t) => {
        t.args = ['x'.repeat(16 * 1024 + 1)];
      },
    ],
    [
      'bad env name',
      (t) => {
        t.env = { 'A-B': 'x' };
      },
    ],
    [
      'bad quantity',
      (t) => {
        t.resources = { cpu_request: 'lots', memory_request: '1Gi', cpu_limit: '1', memory_limit: '1Gi' };
      },
    ],
    [
      'unknown schema keyword',
      (t) => {
        t.configSchema = { type: 'object', properties: { a: { type: 'string', $ref: 'http://x' } } };
      },
    ],
    [
      'non-object schema',
      (t) => {
        t.configSchema = { type: 'string' };
      },
    ],
    [
      'backoff too high',
      (t) => {
        t.backoffLimit = 100;
      },
    ],
    [
      'timeout zero',
      (t) => {
        t.defaultTimeoutSeconds = 0;
      },
    ],
    [
      'retryable exit code 0',
      (t) => {
        t.retryableExitCodes = [0];
      },
    ],
    [
      'retryable exit code above 255',
      (t) => {
        t.retryableExitCodes = [256];
      },
    ],
    [
      'duplicate retryable exit codes',
      (t) => {
        t.retryableExitCodes = [75, 75];
      },
    ],
  ];

  it('accepts retryable exit codes', () => {
    const t = { ...structuredClone(builtinTemplates()[0]), retryableExitCodes: [75, 111] };
    assert.ok(TemplateSpec.safeParse(t).success);
  });
  for (const [name, mutate] of bad) {
    it(`rejects ${name}`, () => {
      const t = structuredClone(builtinTemplates()[0]) as unknown as Record<string, unknown>;
      mutate(t);
      assert.equal(TemplateSpec.safeParse(t).success, false);
    });
  }
});
