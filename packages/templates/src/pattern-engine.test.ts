import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinTemplates } from './builtins.ts';
import { compilePattern, PatternError, toRe2Syntax } from './pattern-engine.ts';
import { checkTemplateSafety } from './safety.ts';
import { testTemplate } from './test-template.ts';
import { validateConfig } from './validate.ts';

/** CPU time (user + system) `fn` takes, in ms: what a frozen event loop costs every other request. */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

describe('template patterns run in linear time (RE2)', () => {
  const redos = testTemplate({ word: { type: 'string', pattern: '^(a+)+$' } }, { env: { WORD: '{{word}}' } });

  it('the ReDoS template registers (RE2 compiles it) and is answered at once', () => {
    assert.deepEqual(checkTemplateSafety(redos), []);
    // The backtracking engine took 2.3 s for 27 a's and a '!' (doubling with each extra 'a'): 40 a's
    // would take hours, 10,000 would never end. RE2 answers all of them in well under a second of CPU.
    for (const word of [`${'a'.repeat(27)}!`, `${'a'.repeat(40)}!`, `${'a'.repeat(10_000)}!`]) {
      let result: ReturnType<typeof validateConfig> | undefined;
      const ms = cpuMs(() => {
        result = validateConfig(redos, { word });
      });
      assert.equal(result?.ok, false, `${word.length} chars`);
      assert.ok(ms < 1_000, `${word.length} chars took ${ms} ms of CPU`);
    }
    assert.equal(validateConfig(redos, { word: 'a'.repeat(40) }).ok, true);
  });

  it('patterns RE2 cannot run in linear time are refused, naming the property', () => {
    for (const pattern of ['^(a+)\\1$', '^(?=a)a+$', '^(?<!b)a$']) {
      const t = testTemplate({ word: { type: 'string', pattern } });
      const problems = checkTemplateSafety(t);
      assert.equal(problems.length, 1, pattern);
      assert.match(
        problems[0] ?? '',
        /^configSchema\.properties\.word\.pattern: not supported by the linear-time \(RE2\) engine/,
      );
    }
  });

  it('ECMA-262 \\u escapes mean the same code point', () => {
    const cases: [string, string][] = [
      ['^[^\\u0000]+$', '^[^\\x{0000}]+$'],
      ['^\\u{1F600}$', '^\\x{1F600}$'],
      ['^\\\\u0041$', '^\\\\u0041$'],
      ['^a\\.b$', '^a\\.b$'],
    ];
    for (const [js, re2] of cases) assert.equal(toRe2Syntax(js), re2, js);
    assert.equal(compilePattern('^[^\\u0000]+$').test('a\u0000b'), false);
    assert.equal(compilePattern('^\\u{1F600}$').test('😀'), true);
    assert.throws(() => compilePattern('(a)\\1'), PatternError);
  });

  it('the built-in templates still validate as before', () => {
    const dp = builtinTemplates().find((t) => t.name === 'data-processing');
    assert.ok(dp);
    assert.equal(validateConfig(dp, { input_path: '/in', output_path: '/out' }).ok, true);
    const nul = validateConfig(dp, { input_path: '/in\u0000x', output_path: '/out' });
    assert.equal(nul.ok, false);
  });
});
