import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { CONSUMERS, PipelineQueued } from '@po/contracts';
import { pino } from 'pino';
import {
  DEAD_LETTER_HEADERS,
  deleteDeadLetter,
  listDeadLetters,
  type MessageMeta,
  Permanent,
  planReplay,
  publish,
  publishReplay,
  RetryLater,
  readDeadLetter,
  type Stoppable,
  startConsumer,
} from './index.ts';
import { createTestBus, queuedMessage, recordingMetrics, type TestBus, waitFor } from './testing.ts';

const logger = pino({ level: 'silent' });
let bus: TestBus;
let consumer: Stoppable | undefined;

before(async () => {
  bus = await createTestBus({ maxDeliver: 3 });
});
afterEach(async () => {
  await consumer?.stop();
  consumer = undefined;
  // Each test starts from an empty work queue.
  const jsm = await jetstreamManager(bus.nc);
  await jsm.streams.purge(bus.streams.commands);
  await jsm.streams.purge(bus.streams.deadLetters);
});
after(() => bus.close());

let metrics = recordingMetrics();

function start(handler: (m: PipelineQueued, meta: MessageMeta) => Promise<void>, concurrency = 1) {
  metrics = recordingMetrics();
  consumer = startConsumer({
    metrics,
    nc: bus.nc,
    stream: bus.streams.commands,
    consumer: CONSUMERS.scheduler,
    schema: PipelineQueued,
    handler,
    logger,
    subjects: bus.subjects,
    concurrency,
  });
  return consumer;
}

async function streamMessages(stream: string) {
  const jsm = await jetstreamManager(bus.nc);
  return (await jsm.streams.info(stream)).state.messages;
}

test('a handler that returns acks the message (it leaves the work queue)', async () => {
  const seen: string[] = [];
  start(async (m) => {
    seen.push(m.id);
  });
  const msg = queuedMessage();
  await publish(jetstream(bus.nc), bus.subjects.pipelineQueued, msg);
  await waitFor(() => seen.length === 1 || undefined, 'delivery');
  await waitFor(async () => (await streamMessages(bus.streams.commands)) === 0, 'ack');
  assert.deepEqual(seen, [msg.id]);
});

test('RetryLater naks with a delay and the message comes back', async () => {
  const deliveries: number[] = [];
  start(async (_m, meta) => {
    deliveries.push(meta.deliveryCount);
    if (meta.deliveryCount === 1) throw new RetryLater('not yet', 10);
  });
  await publish(jetstream(bus.nc), bus.subjects.pipelineQueued, queuedMessage());
  await waitFor(async () => (await streamMessages(bus.streams.commands)) === 0, 'ack after retry');
  assert.deepEqual(deliveries, [1, 2]);
  assert.equal(await streamMessages(bus.streams.deadLetters), 0);
});

test('Permanent dead-letters at once with the payload and the reason', async () => {
  const deliveries: number[] = [];
  start(async (_m, meta) => {
    deliveries.push(meta.deliveryCount);
    throw new Permanent('template gone');
  });
  const msg = queuedMessage();
  await publish(jetstream(bus.nc), bus.subjects.pipelineQueued, msg);
  const [dl] = await waitFor(async () => {
    const l = (await listDeadLetters(bus.nc, bus.prefix, { limit: 10 })).letters;
    return l.length > 0 ? l : undefined;
  }, 'dead letter');
  assert.ok(dl);
  assert.deepEqual(dl.payload, msg);
  assert.equal(dl.subject, bus.subjects.deadLetter(bus.subjects.pipelineQueued));
  assert.equal(dl.originalSubject, bus.subjects.pipelineQueued);
  assert.match(dl.reason, /template gone/);
  assert.deepEqual(deliveries, [1]);
  await waitFor(async () => (await streamMessages(bus.streams.commands)) === 0, 'term');
  assert.deepEqual(metrics.deadLetteredSubjects, [bus.subjects.pipelineQueued]);
});

test('a replayed dead letter comes back to its consumer with its id; replaying it again at once is dropped', async () => {
  const seen: { id: string; replayOf: string | undefined }[] = [];
  let refuse = true;
  start(async (m, meta) => {
    if (refuse) throw new Permanent('not yet');
    seen.push({ id: m.id, replayOf: meta.headers[DEAD_LETTER_HEADERS.replayOf] });
  });
  const msg = queuedMessage();
  await publish(jetstream(bus.nc), bus.subjects.pipelineQueued, msg);
  const [dl] = await waitFor(async () => {
    const l = (await listDeadLetters(bus.nc, bus.prefix, { limit: 10 })).letters;
    return l.length > 0 ? l : undefined;
  }, 'dead letter');
  assert.ok(dl);
  assert.equal(dl.messageId, msg.id, 'the dead letter keeps the message id');
  refuse = false;
  const letter = await readDeadLetter(bus.nc, bus.prefix, dl.seq);
  assert.ok(letter);
  const plan = planReplay(bus.prefix, letter);
  assert.equal((await publishReplay(bus.nc, plan)).duplicate, false);
  await waitFor(async () => (seen.length > 0 ? true : undefined), 'the replay handled');
  assert.deepEqual(seen, [{ id: msg.id, replayOf: String(dl.seq) }]);
  assert.equal((await publishReplay(bus.nc, plan)).duplicate, true, 'inside the duplicate window');
  assert.equal(await deleteDeadLetter(bus.nc, bus.prefix, dl.seq), true);
  assert.equal(await deleteDeadLetter(bus.nc, bus.prefix, dl.seq), false);
  assert.equal(await readDeadLetter(bus.nc, bus.prefix, dl.seq), undefined);
});

test('an invalid message is dead-lettered without reaching the handler', async () => {
  let calls = 0;
  start(async () => {
    calls += 1;
  });
  const js = jetstream(bus.nc);
  await js.publish(bus.subjects.pipelineQueued, JSON.stringify({ hello: 'world' }));
  await js.publish(bus.subjects.pipelineQueued, 'not json at all');
  const dls = await waitFor(async () => {
    const l = (await listDeadLetters(bus.nc, bus.prefix, { limit: 10 })).letters;
    return l.length === 2 ? l : undefined;
  }, 'two dead letters');
  assert.equal(calls, 0);
  assert.deepEqual(
    dls.map((d) => d.payload),
    ['not json at all', { hello: 'world' }],
  );
  assert.ok(dls.every((d) => d.reason.startsWith('invalid message')));
});

test('a message failing on its last delivery is dead-lettered (max_deliver 3)', async () => {
  const deliveries: number[] = [];
  start(async (_m, meta) => {
    deliveries.push(meta.deliveryCount);
    throw new Error('flaky dependency');
  });
  const msg = queuedMessage();
  await publish(jetstream(bus.nc), bus.subjects.pipelineQueued, msg, { headers: { 'x-test': 'kept' } });
  const [dl] = await waitFor(async () => {
    const l = (await listDeadLetters(bus.nc, bus.prefix, { limit: 10 })).letters;
    return l.length > 0 ? l : undefined;
  }, 'dead letter after max deliveries');
  assert.deepEqual(deliveries, [1, 2, 3]);
  assert.ok(dl);
  assert.equal(dl.deliveries, 3);
  assert.match(dl.reason, /max deliveries \(3\).*flaky dependency/);
  assert.deepEqual(dl.payload, msg);
  // The copy keeps the original headers next to the dead-letter ones.
  const jsm = await jetstreamManager(bus.nc);
  const stored = await jsm.streams.getMessage(bus.streams.deadLetters, { seq: dl.seq });
  assert.equal(stored?.header.get('x-test'), 'kept');
  assert.equal(stored?.header.get(DEAD_LETTER_HEADERS.stream), bus.streams.commands);
  await waitFor(async () => (await streamMessages(bus.streams.commands)) === 0, 'removed from work queue');
});

test('runs up to `concurrency` handlers at once and stop() waits for in-flight ones', async () => {
  let running = 0;
  let peak = 0;
  let finished = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const c = start(async () => {
    running += 1;
    peak = Math.max(peak, running);
    await gate;
    running -= 1;
    finished += 1;
  }, 3);
  const js = jetstream(bus.nc);
  for (let i = 0; i < 3; i++) await publish(js, bus.subjects.pipelineQueued, queuedMessage());
  await waitFor(() => running === 3 || undefined, 'three handlers in flight');
  const stopped = c.stop();
  let done = false;
  void stopped.then(() => {
    done = true;
  });
  await Promise.resolve();
  assert.equal(done, false);
  release();
  await stopped;
  assert.equal(finished, 3);
  assert.equal(peak, 3);
  await waitFor(async () => (await streamMessages(bus.streams.commands)) === 0, 'acks of in-flight messages');
});

test('a handler slower than ack_wait keeps its message (working() heartbeats), no redelivery', async () => {
  const slow = await createTestBus({ ackWaitMs: 1500 });
  const deliveries: number[] = [];
  const c = startConsumer({
    nc: slow.nc,
    stream: slow.streams.commands,
    consumer: CONSUMERS.scheduler,
    schema: PipelineQueued,
    logger,
    subjects: slow.subjects,
    concurrency: 2,
    handler: async (_m, meta) => {
      deliveries.push(meta.deliveryCount);
      // Outlast ack_wait three times over; without working() the server would redeliver meanwhile.
      const until = Date.now() + 4500;
      await waitFor(() => Date.now() > until, 'slow handler', 10_000);
    },
  });
  try {
    await publish(jetstream(slow.nc), slow.subjects.pipelineQueued, queuedMessage());
    await waitFor(
      async () => {
        const jsm = await jetstreamManager(slow.nc);
        return (await jsm.streams.info(slow.streams.commands)).state.messages === 0;
      },
      'ack',
      15_000,
    );
    assert.deepEqual(deliveries, [1]);
  } finally {
    await c.stop();
    await slow.close();
  }
});

test('a poison message is dead-lettered exactly once and acknowledged for good, on nats-server 2.9 too', async () => {
  // nats-server 2.9 (this machine's) does not understand `+TERM <reason>`: a consumer that sent it saw
  // the message again after ack_wait, up to max_deliver times, and dead-lettered it each time (a
  // limits stream keeps the message, unlike a work queue).
  const quick = await createTestBus({ ackWaitMs: 500, maxDeliver: 3 });
  const c = startConsumer({
    nc: quick.nc,
    stream: quick.streams.events,
    consumer: CONSUMERS.logCollector,
    schema: PipelineQueued,
    logger,
    subjects: quick.subjects,
    handler: async () => {},
  });
  try {
    await jetstream(quick.nc).publish(quick.subjects.pipelineFinished, 'not json');
    const jsm = await jetstreamManager(quick.nc);
    const settled = await waitFor(async () => {
      const info = await jsm.consumers.info(quick.streams.events, CONSUMERS.logCollector);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    }, 'the message settled');
    assert.equal(settled.delivered.consumer_seq, 1, 'delivered once');
    assert.equal(settled.num_redelivered, 0);
    assert.equal((await listDeadLetters(quick.nc, quick.prefix, { limit: 10 })).letters.length, 1);
  } finally {
    await c.stop();
    await quick.close();
  }
});

test('a dead letter keeps no credential and at most 4 KiB, and a message that carried one leaves its stream', async () => {
  const quick = await createTestBus({ ackWaitMs: 500, maxDeliver: 3 });
  const calls: number[] = [];
  const c = startConsumer({
    nc: quick.nc,
    stream: quick.streams.events,
    consumer: CONSUMERS.logCollector,
    schema: PipelineQueued,
    logger,
    subjects: quick.subjects,
    handler: async (_m, meta) => void calls.push(meta.deliveryCount),
  });
  try {
    const secret = 'sk-live-0123456789';
    const body = JSON.stringify({ api_key: secret, nested: { Password: secret }, blob: 'x'.repeat(10_000) });
    await jetstream(quick.nc).publish(quick.subjects.pipelineFinished, body);
    const jsm = await jetstreamManager(quick.nc);
    const settled = await waitFor(async () => {
      const info = await jsm.consumers.info(quick.streams.events, CONSUMERS.logCollector);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    }, 'the message settled');
    assert.equal(settled.delivered.consumer_seq, 1, 'delivered once');
    assert.equal(settled.num_redelivered, 0);
    assert.deepEqual(calls, []);
    const { letters } = await listDeadLetters(quick.nc, quick.prefix, { limit: 10 });
    assert.equal(letters.length, 1);
    const stored = await jsm.streams.getMessage(quick.streams.deadLetters, { seq: letters[0]?.seq ?? 0 });
    const raw = stored?.string() ?? '';
    assert.ok(!raw.includes(secret), 'no credential in the dead-letter stream');
    assert.ok((stored?.data.length ?? 0) <= 4096, 'cut to 4 KiB');
    assert.equal(stored?.header.get(DEAD_LETTER_HEADERS.truncated), String(body.length));
    // The original carried a credential: it does not stay at rest in its stream either.
    await waitFor(async () => (await jsm.streams.info(quick.streams.events)).state.messages === 0, 'removed');
  } finally {
    await c.stop();
    await quick.close();
  }
});

test('dead letters are listed newest first, a page at a time', async () => {
  const js = jetstream(bus.nc);
  start(async () => {});
  for (let i = 0; i < 5; i++) await js.publish(bus.subjects.pipelineQueued, `bad ${i}`);
  await waitFor(
    async () => (await listDeadLetters(bus.nc, bus.prefix, { limit: 10 })).letters.length === 5,
    'five dead letters',
  );
  const first = await listDeadLetters(bus.nc, bus.prefix, { limit: 2 });
  const second = await listDeadLetters(bus.nc, bus.prefix, { limit: 2, before: first.next });
  const third = await listDeadLetters(bus.nc, bus.prefix, { limit: 2, before: second.next });
  assert.deepEqual(
    [...first.letters, ...second.letters, ...third.letters].map((l) => l.payload),
    ['bad 4', 'bad 3', 'bad 2', 'bad 1', 'bad 0'],
  );
  assert.equal(third.next, undefined);
});
