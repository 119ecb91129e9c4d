/**
 * The scheduler's queue as a user sees it: with the concurrency quota full, waiting pipelines run
 * highest priority first, oldest first within a priority — not in arrival order.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Stack, startStack, waitFor } from './fixture.ts';
import { registerGatedTemplate, settled, statusOf, submitGated } from './pipelines.ts';

let stack: Stack;
before(async () => {
  stack = await startStack({ env: { SCHEDULER_MAX_RUNNING: '1' } });
  await registerGatedTemplate(stack);
});
after(async () => {
  await stack?.stop();
});

test('with the quota full, the next admitted pipeline is the highest priority, then the oldest', async () => {
  const gate = (name: string) => join(stack.dir, `gate-${name}`);
  const first = await submitGated(stack, gate('first'), { priority: 'Low' });
  await waitFor('the first pipeline to run', async () =>
    (await statusOf(stack, first.id)).status === 'Running' ? true : undefined,
  );
  // Arrival order: low, normal, critical, normal.
  const low = await submitGated(stack, gate('low'), { priority: 'Low' });
  const normalOld = await submitGated(stack, gate('normal-old'), { priority: 'Normal' });
  const critical = await submitGated(stack, gate('critical'), { priority: 'Critical' });
  const normalNew = await submitGated(stack, gate('normal-new'), { priority: 'Normal' });
  const waiting = [low, normalOld, critical, normalNew];

  const order: string[] = [];
  const names = new Map([
    [low.id, 'low'],
    [normalOld.id, 'normal-old'],
    [critical.id, 'critical'],
    [normalNew.id, 'normal-new'],
  ]);
  let running = first;
  let runningName = 'first';
  for (let i = 0; i < waiting.length; i++) {
    // Only one runs at a time: free the slot, then see who gets it.
    writeFileSync(gate(runningName), '');
    assert.equal((await settled(stack, running.id)).status, 'Succeeded');
    const next = await waitFor('the next pipeline to be admitted and run', async () => {
      for (const p of waiting) {
        if (order.includes(names.get(p.id) ?? '')) continue;
        if ((await statusOf(stack, p.id)).status === 'Running') return p;
      }
      return undefined;
    });
    runningName = names.get(next.id) ?? '';
    running = next;
    order.push(runningName);
  }
  writeFileSync(gate(runningName), '');
  assert.equal((await settled(stack, running.id)).status, 'Succeeded');
  assert.deepEqual(order, ['critical', 'normal-old', 'normal-new', 'low']);
});
