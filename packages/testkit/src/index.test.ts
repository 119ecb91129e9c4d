import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from './index.ts';

test('waitFor returns the first value the probe gives, retrying through undefined, false and errors', async () => {
  let calls = 0;
  const v = await waitFor('the third call', () => {
    calls += 1;
    if (calls === 1) return undefined;
    if (calls === 2) throw new Error('not yet');
    return calls === 3 ? false : 'ready';
  });
  assert.equal(v, 'ready');
  assert.equal(calls, 4);
});

test('waitFor names what it waited for, and the last error, when the deadline passes', async () => {
  await assert.rejects(
    waitFor(
      'something that never happens',
      () => {
        throw new Error('still broken');
      },
      50,
      5,
    ),
    /timed out waiting for something that never happens: Error: still broken/,
  );
});
