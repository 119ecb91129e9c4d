import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from './sse.ts';

test('SseParser yields whole events across chunk boundaries and skips comments', () => {
  const p = new SseParser();
  assert.deepEqual(p.push(': heartbeat\n\nevent: log\nid: 7\nda'), []);
  assert.deepEqual(p.push('ta: {"line":"a"}\n\nevent: end\r\ndata: {}\r\n\r\n'), [
    { event: 'log', id: '7', data: '{"line":"a"}' },
    { event: 'end', id: undefined, data: '{}' },
  ]);
  assert.deepEqual(p.push('data: one\ndata: two\n\n'), [
    { event: 'message', id: undefined, data: 'one\ntwo' },
  ]);
});
