import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@po/telemetry';
import { KeyedQueue } from './keyed-queue.ts';

const logger = createLogger({ service: 'keyed-queue-test', level: 'silent' });

test('keys added before start() are held, then each processed once (decide only after sync)', async () => {
  const seen: string[] = [];
  const q = new KeyedQueue(async (k) => {
    seen.push(k);
  }, logger);
  q.add('a');
  q.add('b');
  q.add('a');
  await q.idle();
  assert.deepEqual(seen, [], 'nothing runs before start()');
  assert.equal(q.pending, 2);
  q.start();
  await q.idle();
  assert.deepEqual(seen.sort(), ['a', 'b']);
  await q.stop();
});

test('changes during a pass coalesce into one more pass of that key; one worker per key', async () => {
  let running = 0;
  let maxRunning = 0;
  let passes = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const q = new KeyedQueue(async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    passes++;
    if (passes === 1) await gate;
    running--;
  }, logger);
  q.start();
  q.add('k');
  q.add('k');
  q.add('k');
  release();
  await q.idle();
  assert.equal(passes, 2);
  assert.equal(maxRunning, 1);
  await q.stop();
});

test('a failed pass is retried later', async () => {
  let calls = 0;
  const done = Promise.withResolvers<void>();
  const q = new KeyedQueue(
    async () => {
      calls++;
      if (calls === 1) throw new Error('transient');
      done.resolve();
    },
    logger,
    { retryMs: 5 },
  );
  q.start();
  q.add('k');
  await done.promise;
  assert.equal(calls, 2);
  await q.stop();
});
