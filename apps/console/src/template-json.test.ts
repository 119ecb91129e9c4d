import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTemplate } from './template-json.ts';

test('parseTemplate accepts a named JSON object and says what is wrong otherwise', () => {
  assert.deepEqual(parseTemplate('{"name":"a","image":"x"}'), { body: { name: 'a', image: 'x' } });
  const errorOf = (text: string) => {
    const r = parseTemplate(text);
    return 'error' in r ? r.error : undefined;
  };
  assert.match(errorOf('{"name":') ?? '', /^Not valid JSON: /);
  assert.equal(errorOf('[1]'), 'The template must be a JSON object');
  assert.equal(errorOf('null'), 'The template must be a JSON object');
  assert.equal(errorOf('{"image":"x"}'), 'The template needs a "name"');
});
