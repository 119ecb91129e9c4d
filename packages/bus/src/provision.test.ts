import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { CONSUMERS } from '@po/contracts';
import { deleteStreams, provision, publish } from './index.ts';
import { createTestBus, queuedMessage, type TestBus } from './testing.ts';

let bus: TestBus;
before(async () => {
  bus = await createTestBus({ provision: false });
});
after(() => bus.close());

test('provision is idempotent and safe to run concurrently', async () => {
  await Promise.all([
    provision(bus.nc, bus.prefix),
    provision(bus.nc, bus.prefix),
    provision(bus.nc, bus.prefix),
  ]);
  const jsm = await jetstreamManager(bus.nc);
  const before = await jsm.streams.info(bus.streams.commands);
  await provision(bus.nc, bus.prefix);
  const after = await jsm.streams.info(bus.streams.commands);
  assert.equal(after.created, before.created);
  assert.deepEqual(after.config, before.config);
  assert.equal(before.config.retention, 'workqueue');
  assert.equal((await jsm.streams.info(bus.streams.events)).config.retention, 'limits');

  const scheduler = await jsm.consumers.info(bus.streams.commands, CONSUMERS.scheduler);
  assert.equal(scheduler.config.filter_subject, bus.subjects.pipelineQueued);
  assert.equal(scheduler.config.max_deliver, 10);
  const runner = await jsm.consumers.info(bus.streams.commands, CONSUMERS.jobRunner);
  assert.equal(runner.config.filter_subject, bus.subjects.jobCommands);
  const collector = await jsm.consumers.info(bus.streams.events, CONSUMERS.logCollector);
  assert.equal(collector.config.filter_subject, bus.subjects.pipelineFinished);

  // A changed option updates the durable instead of failing.
  await provision(bus.nc, bus.prefix, { maxDeliver: 4 });
  assert.equal((await jsm.consumers.info(bus.streams.commands, CONSUMERS.scheduler)).config.max_deliver, 4);
});

test('publish sets Nats-Msg-Id, so a re-publish of the same id is dropped', async () => {
  await provision(bus.nc, bus.prefix);
  const js = jetstream(bus.nc);
  const msg = queuedMessage();
  const first = await publish(js, bus.subjects.pipelineQueued, msg);
  const second = await publish(js, bus.subjects.pipelineQueued, {
    ...msg,
    occurredAt: new Date(0).toISOString(),
  });
  assert.equal(first.duplicate, false);
  assert.equal(second.duplicate, true);
  assert.equal(second.seq, first.seq);
  const jsm = await jetstreamManager(bus.nc);
  assert.equal((await jsm.streams.info(bus.streams.commands)).state.messages, 1);
});

test('deleteStreams ignores streams that are already gone', async () => {
  const other = await createTestBus();
  await deleteStreams(other.nc, other.prefix);
  await other.close();
});
