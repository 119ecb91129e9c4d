import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextPageQuery } from './link.ts';

test('the next page is read from the Link header', () => {
  const cases: [string | null, Record<string, string> | undefined][] = [
    [null, undefined],
    ['', undefined],
    ['</pipelines?cursor=abc&limit=2>; rel="next"', { cursor: 'abc', limit: '2' }],
    ['</pipelines?cursor=a%3Db&status=Queued>; rel=next', { cursor: 'a=b', status: 'Queued' }],
    ['</p?cursor=1>; rel="prev", </p?cursor=2>; rel="next"', { cursor: '2' }],
    ['<https://api.example/p?cursor=9>; rel="last next"', { cursor: '9' }],
    ['</p?cursor=1>; rel="prev"', undefined],
  ];
  for (const [header, want] of cases) assert.deepEqual(nextPageQuery(header), want, String(header));
});
