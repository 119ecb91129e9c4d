import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogLine } from './logs.ts';
import {
  logTail,
  TERMINATION_MESSAGE_LOG_BYTES,
  type TerminationInput,
  terminationMessage,
} from './termination-message.ts';

const line = (text: string, nl = true): LogLine => ({ t: 0, ts: '1970-01-01T00:00:00Z', text, nl });
const numbered = (n: number) => Array.from({ length: n }, (_, i) => line(`line ${i + 1}`));

const failing: TerminationInput = {
  policy: 'FallbackToLogsOnError',
  exitCode: 1,
  reason: 'Error',
  lines: [line('reading /data/in'), line('error: input not found: /data/in')],
};

describe('terminationMessage (the kubelet FallbackToLogsOnError rule)', () => {
  const cases: { name: string; input: TerminationInput; expect: string | undefined }[] = [
    {
      name: 'a failed container gets its log tail',
      input: failing,
      expect: 'reading /data/in\nerror: input not found: /data/in\n',
    },
    { name: 'policy File: no fallback', input: { ...failing, policy: 'File' }, expect: undefined },
    { name: 'policy unset: no fallback', input: { ...failing, policy: undefined }, expect: undefined },
    {
      name: 'exit code 0: no fallback',
      input: { ...failing, exitCode: 0, reason: 'Completed' },
      expect: undefined,
    },
    {
      name: 'ContainerCannotRun never falls back (it has no logs)',
      input: { ...failing, reason: 'ContainerCannotRun', runtimeMessage: 'no such image' },
      expect: 'no such image',
    },
    {
      name: "the runtime's message comes first, joined with ': '",
      input: { ...failing, reason: 'StartError', runtimeMessage: 'exec failed', lines: [line('boom')] },
      expect: 'exec failed: boom\n',
    },
    { name: 'an empty log gives no message', input: { ...failing, lines: [] }, expect: undefined },
    {
      name: 'a final partial record keeps no newline',
      input: { ...failing, lines: [line('a'), line('b', false)] },
      expect: 'a\nb',
    },
    {
      name: 'only the last 80 records',
      input: { ...failing, lines: numbered(100) },
      expect: `${numbered(100)
        .slice(20)
        .map((l) => `${l.text}\n`)
        .join('')}`,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(terminationMessage(c.input), c.expect));

  it('keeps the END when the tail passes 2048 bytes', () => {
    const long = [line('x'.repeat(3000)), line('the last words')];
    const text = logTail(long);
    assert.equal(Buffer.byteLength(text), TERMINATION_MESSAGE_LOG_BYTES);
    assert.ok(text.endsWith('x\nthe last words\n'));
  });

  it('cuts on a character boundary', () => {
    const text = logTail([line('é'.repeat(2000))]);
    assert.ok(Buffer.byteLength(text) <= TERMINATION_MESSAGE_LOG_BYTES);
    assert.ok(!text.includes('\uFFFD'));
    assert.ok(text.endsWith('é\n'));
  });
});
