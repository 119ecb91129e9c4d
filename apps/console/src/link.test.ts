import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextLink } from './link.ts';

test('nextLink finds the rel="next" target of a Link header', () => {
  const cases: [string | null, string | undefined][] = [
    [null, undefined],
    ['', undefined],
    ['</pipelines?cursor=abc&limit=20>; rel="next"', '/pipelines?cursor=abc&limit=20'],
    ['</p?cursor=1>; rel=next', '/p?cursor=1'],
    ['</p?a=1>; rel="prev", </p?b=2>; rel="next"', '/p?b=2'],
    ['</p?a=1>; rel="prev"', undefined],
    ['</p?a=1>; rel="prev next"', '/p?a=1'],
    ['</p?a=1>; rel="nextish"', undefined],
  ];
  for (const [header, want] of cases) assert.equal(nextLink(header), want, String(header));
});
