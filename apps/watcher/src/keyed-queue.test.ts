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

test('at most `concurrency` keys are processed at once; the rest wait their turn and all are processed', async () => {
  let running = 0;
  let maxRunning = 0;
  const seen: string[] = [];
  const gates: (() => void)[] = [];
  const q = new KeyedQueue(
    async (k) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((r) => gates.push(r));
      seen.push(k);
      running--;
    },
    logger,
    { concurrency: 4 },
  );
  for (let i = 0; i < 100; i++) q.add(`k${i}`);
  q.start();
  assert.equal(q.inFlight, 4, 'a start with 100 keys puts 4 in flight');
  assert.equal(q.pending, 96);
  // Changes to a key in flight and new keys while full wait too.
  q.add('k0');
  q.add('late');
  assert.equal(q.inFlight, 4);
  // Release passes one by one until everything has run (bounded: a queue that stalls fails, not hangs).
  for (let turn = 0; turn < 10_000 && seen.length < 102; turn++) {
    const next = gates.shift();
    if (next) next();
    await new Promise<void>((r) => setImmediate(r));
    assert.ok(q.inFlight <= 4);
  }
  assert.equal(seen.length, 102, 'every pass ran');
  await q.idle();
  assert.equal(maxRunning, 4);
  assert.equal(seen.filter((k) => k === 'k0').length, 2, 'the change to k0 in flight gets one more pass');
  assert.equal(seen.at(-1), 'late', 'keys run in the order they were added');
  assert.equal(new Set(seen).size, 101);
  await q.stop();
});
