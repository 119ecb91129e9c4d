import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogLine, parseLogText } from './logs.ts';

describe('parseLogLine', () => {
  const table: [string, string | null, string][] = [
    ['2026-01-02T03:04:05.123456789Z hello world', '2026-01-02T03:04:05.123Z', 'hello world'],
    ['2026-01-02T03:04:05Z x', '2026-01-02T03:04:05.000Z', 'x'],
    ['2026-01-02T03:04:05.5+02:00 tz', '2026-01-02T01:04:05.500Z', 'tz'],
    ['2026-01-02T03:04:05.1Z ', '2026-01-02T03:04:05.100Z', ''],
    ['no stamp here', null, 'no stamp here'],
    ['2026-99-99T99:99:99Z bad date', null, '2026-99-99T99:99:99Z bad date'],
  ];
  for (const [raw, ts, line] of table) {
    it(JSON.stringify(raw), () => {
      const r = parseLogLine(raw);
      assert.equal(r.ts?.toISOString() ?? null, ts);
      assert.equal(r.line, line);
    });
  }

  it('splits text into lines', () => {
    const lines = parseLogText('2026-01-02T03:04:05Z a\r\n2026-01-02T03:04:06Z b\n');
    assert.deepEqual(
      lines.map((l) => l.line),
      ['a', 'b'],
    );
    assert.deepEqual(parseLogText(''), []);
  });
});
