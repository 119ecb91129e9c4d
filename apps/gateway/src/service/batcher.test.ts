import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Batcher } from './batcher.ts';

/** A run function that records its batches and answers from `answer`, released by the test. */
function recorder(answer: (item: number) => PromiseSettledResult<string>) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    batches,
    get maxRunning() {
      return maxRunning;
    },
    /** Lets the oldest waiting batch finish. */
    release() {
      releases.shift()?.();
    },
    run: async (items: number[]) => {
      batches.push(items);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running -= 1;
      return items.map(answer);
    },
  };
}

/** Lets the batcher's end-of-turn flush (setImmediate) and the batches' callbacks run. */
const settle = async (turns = 5) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

describe('Batcher', () => {
  test('calls in the same turn share a batch; each caller gets its own result or its own error', async () => {
    const r = recorder((i) =>
      i % 3 === 0
        ? { status: 'rejected', reason: new Error(`bad ${i}`) }
        : { status: 'fulfilled', value: `ok ${i}` },
    );
    const b = new Batcher({ run: r.run });
    const calls = [1, 2, 3, 4, 5, 6].map((i) =>
      b.submit(i).then(
        (v) => v,
        (e: Error) => e.message,
      ),
    );
    await settle();
    assert.deepEqual(r.batches, [[1, 2, 3, 4, 5, 6]]);
    r.release();
    assert.deepEqual(await Promise.all(calls), ['ok 1', 'ok 2', 'bad 3', 'ok 4', 'ok 5', 'bad 6']);
  });

  test('a batch that fails as a whole rejects each of its callers, and only them', async () => {
    let calls = 0;
    const b = new Batcher<number, number>({
      maxInFlight: 1,
      run: async (items) => {
        calls += 1;
        if (calls === 1) throw new Error('connection lost');
        return items.map((i) => ({ status: 'fulfilled', value: i * 10 }));
      },
    });
    const first = Promise.allSettled([b.submit(1), b.submit(2)]);
    await settle();
    const second = Promise.allSettled([b.submit(3)]);
    const results = [...(await first), ...(await second)];
    assert.deepEqual(
      results.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message)),
      ['connection lost', 'connection lost', 30],
    );
  });

  test('at most maxBatch items per batch and maxInFlight batches at once; waiting items go next', async () => {
    const r = recorder((i) => ({ status: 'fulfilled', value: String(i) }));
    const b = new Batcher({ run: r.run, maxBatch: 3, maxInFlight: 2 });
    const calls = Array.from({ length: 10 }, (_, i) => b.submit(i));
    await settle();
    // Two full batches run; the other four wait for a free slot.
    assert.deepEqual(r.batches, [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    r.release();
    await settle();
    assert.deepEqual(r.batches.at(-1), [6, 7, 8]);
    r.release();
    await settle();
    assert.deepEqual(r.batches.at(-1), [9]);
    r.release();
    r.release();
    assert.deepEqual(await Promise.all(calls), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(r.maxRunning, 2);
  });

  test('a lone call is sent at once, not held for company', async () => {
    const r = recorder((i) => ({ status: 'fulfilled', value: String(i) }));
    const b = new Batcher({ run: r.run });
    const one = b.submit(7);
    await settle();
    assert.deepEqual(r.batches, [[7]]);
    r.release();
    assert.equal(await one, '7');
  });
});
