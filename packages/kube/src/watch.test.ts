import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonLines } from './watch.ts';

test('JSON lines: whole objects however the stream is cut, multi-byte characters, junk skipped', () => {
  const events = [
    { type: 'ADDED', object: { metadata: { name: 'a' } } },
    { type: 'MODIFIED', object: { metadata: { name: 'b', annotations: { note: 'héllo ✓ 𝄞' } } } },
    { type: 'DELETED', object: { metadata: { name: 'c' } } },
  ];
  const text = `${JSON.stringify(events[0])}\n\nnot json\n${JSON.stringify(events[1])}\n${JSON.stringify(events[2])}`;
  const bytes = Buffer.from(text, 'utf8');
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const got: unknown[] = [];
    const lines = new JsonLines((o) => got.push(o));
    for (let i = 0; i < bytes.length; i += size) lines.push(bytes.subarray(i, i + size));
    assert.equal(got.length, 2, `before the end, chunks of ${size}: the last line has no newline yet`);
    lines.end();
    assert.deepEqual(got, events, `chunks of ${size}`);
  }
});
