import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress, table } from './output.ts';

test('a table pads every column but the last to its widest cell', () => {
  assert.equal(
    table(
      ['ID', 'STATUS', 'REASON'],
      [
        ['a', 'Succeeded', null],
        ['bbbb', 'Failed', 'exit code 1'],
      ],
    ),
    'ID    STATUS     REASON\na     Succeeded\nbbbb  Failed     exit code 1\n',
  );
});

test('progress off a terminal is one plain line per change, no control characters', () => {
  const lines: string[] = [];
  const p = new Progress({ write: (s: string) => lines.push(s), isTTY: false });
  p.update('x Queued');
  p.update('x Queued');
  p.update('x Running');
  p.done();
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? '', /^\S+Z x Queued\n$/);
  assert.ok(lines.every((l) => !l.includes('\r') && !l.includes('\x1b')));
});
