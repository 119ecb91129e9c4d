// The log collector against a real Postgres, with the Kubernetes reads and the live tail's stream
// faked: what it stores and records when reads fail, when a pod is already gone, and when two
// replicas handle the same attempt.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { RetryLater } from '@po/bus';
import { LABEL_ATTEMPT, LABEL_PIPELINE_ID, type PipelineFinished } from '@po/contracts';
import { admitQueued, appendLogs, insertPipeline } from '@po/db';
import { databaseForTests, newPipelineRow } from '@po/db/testing';
import type { LogFollow, LogLine } from '@po/kube';
import { createLogger, createMetrics } from '@po/telemetry';
import { waitFor } from '@po/testkit';
import { LiveTail } from './live-tail.ts';
import { type CaptureBudget, LogCollector, type LogCollectorOptions } from './log-collector.ts';

const tdb = databaseForTests();
const NS = 'default';

interface Captured {
  level: number;
  msg: string;
  reason?: string;
}

function logger() {
  const lines: Captured[] = [];
  const l = createLogger({
    service: 'log-collector-test',
    level: 'debug',
    destination: { write: (s: string) => lines.push(JSON.parse(s) as Captured) },
  });
  return { l, lines };
}

async function admitted(): Promise<string> {
  const r = await insertPipeline(tdb.db, tdb.subjects, newPipelineRow());
  assert.ok(r.created);
  await admitQueued(tdb.db, tdb.subjects, { limit: 100 });
  return r.pipeline.id;
}

function finished(
  pipelineId: string,
  status: 'Cancelled' | 'Timeout' | 'Succeeded',
  at = Date.now(),
): PipelineFinished {
  return {
    id: randomUUID(),
    type: 'pipeline.finished',
    version: 1,
    occurredAt: new Date(at).toISOString(),
    pipelineId,
    attempt: 1,
    data: { status, jobName: `pipeline-${pipelineId}-1`, namespace: NS, reason: null },
  };
}

function pod(pipelineId: string, name: string, state: 'waiting' | 'running' | 'terminated'): V1Pod {
  const s =
    state === 'waiting'
      ? { waiting: { reason: 'ContainerCreating' } }
      : state === 'running'
        ? { running: { startedAt: new Date() } }
        : { terminated: { exitCode: 0 } };
  return {
    metadata: {
      name,
      namespace: NS,
      labels: { [LABEL_PIPELINE_ID]: pipelineId, [LABEL_ATTEMPT]: '1' },
    },
    status: {
      phase: state === 'terminated' ? 'Succeeded' : state === 'running' ? 'Running' : 'Pending',
      containerStatuses: [{ name: 'main', image: 'x', imageID: '', ready: false, restartCount: 0, state: s }],
    },
  } as V1Pod;
}

const lines = (...t: string[]): LogLine[] => t.map((line) => ({ ts: null, line }));
const budget: CaptureBudget = { budgetMs: 30_000, cancelBudgetMs: 2_000, maxTries: 8, settleMs: 2_000 };

function collector(overrides: Partial<LogCollectorOptions>): LogCollector {
  return new LogCollector({
    db: tdb.db,
    subjects: tdb.subjects,
    logger: logger().l,
    metrics: createMetrics({ service: 'log-collector-test', defaults: false }),
    capBytes: 1 << 20,
    budget,
    listPods: async () => [],
    readLog: async () => [],
    settleTails: async () => {},
    ...overrides,
  });
}

async function storedLines(id: string): Promise<string[]> {
  const rows = await tdb.db
    .selectFrom('pipeline_logs')
    .select('line')
    .where('pipeline_id', '=', id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.line);
}

async function capturedEvents(id: string) {
  return tdb.db
    .selectFrom('pipeline_events')
    .select('reason')
    .where('pipeline_id', '=', id)
    .where('kind', '=', 'logs_captured')
    .execute();
}

async function deletes(id: string): Promise<number> {
  const rows = await tdb.db
    .selectFrom('outbox')
    .select('msg_id')
    .where('subject', '=', tdb.subjects.jobDelete)
    .where('msg_id', 'like', `${id}:%`)
    .execute();
  return rows.length;
}

test('two collector replicas handling the same attempt store its lines once and record one capture', async () => {
  const id = await admitted();
  const p = pod(id, 'p-1', 'terminated');
  const opts = {
    listPods: async () => [p],
    readLog: async () => lines('one', 'two', 'three'),
  };
  const a = collector(opts);
  const b = collector(opts);
  const msg = finished(id, 'Succeeded');
  await Promise.all([a.capture(msg, 1), b.capture(msg, 1), a.capture(msg, 2), b.capture(msg, 1)]);
  assert.deepEqual(await storedLines(id), ['one', 'two', 'three']);
  assert.deepEqual(await capturedEvents(id), [{ reason: 'logs stored' }]);
  assert.equal(await deletes(id), 1, 'one JobDelete (the same message id every time)');
});

test('a cancelled attempt whose logs cannot be read: retried within seconds, then recorded as incomplete and the Job deleted', async () => {
  const id = await admitted();
  // What the live tail stored while the pod ran is kept.
  await appendLogs(tdb.db, {
    pipelineId: id,
    attempt: 1,
    podName: 'p-1',
    lines: lines('first line'),
    offset: 0,
    capBytes: 1 << 20,
  });
  const { l, lines: logged } = logger();
  let clock = Date.now();
  const c = collector({
    logger: l,
    now: () => clock,
    listPods: async () => [pod(id, 'p-1', 'running')],
    readLog: async () => {
      throw new ApiException(
        500,
        'boom',
        JSON.stringify({ kind: 'Status', code: 500, reason: 'InternalError', message: 'injected' }),
        {},
      );
    },
  });
  const msg = finished(id, 'Cancelled', clock);
  const retry = await c.capture(msg, 1).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(retry instanceof RetryLater, String(retry));
  assert.ok(retry.delayMs <= 2_000, `a retry within the cancel budget, not ${retry.delayMs} ms`);
  assert.equal(await deletes(id), 0);

  clock += 2_001;
  await c.capture(msg, 2);
  const [ev] = await capturedEvents(id);
  assert.match(
    ev?.reason ?? '',
    /^logs incomplete: p-1: 500 InternalError: injected \(gave up after 2 tries, 2\.0 s/,
  );
  assert.equal(await deletes(id), 1, 'the Job is deleted anyway');
  assert.deepEqual(await storedLines(id), ['first line']);
  const failed = logged.filter((x) => x.msg === 'reading logs failed');
  assert.equal(failed.length, 2, 'each failed read is logged');
  assert.ok(failed.every((x) => x.level === 40 && /InternalError/.test(x.reason ?? '')));
});

test('a succeeded attempt past its budget or tries is recorded as incomplete too', async () => {
  const id = await admitted();
  const c = collector({
    listPods: async () => {
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    },
  });
  await c.capture(finished(id, 'Succeeded'), budget.maxTries);
  const [ev] = await capturedEvents(id);
  assert.match(ev?.reason ?? '', /^logs incomplete: pods of pipeline-.*: network \(ECONNREFUSED\)/);
});

test('a timed-out pod already removed: the capture waits for the live tail, attached before the pod started', async () => {
  const id = await admitted();
  let attaches = 0;
  let emit: ((l: LogLine | null) => void) | undefined;
  const follow = (): LogFollow => {
    attaches++;
    if (attaches === 1) {
      // Pending: the kubelet answers 400 until the container has started.
      const err = new ApiException(
        400,
        'x',
        JSON.stringify({
          code: 400,
          message: 'container "main" in pod "p-1" is waiting to start: ContainerCreating',
        }),
        {},
      );
      return {
        lines: {
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }),
        },
        abort() {},
      };
    }
    const queue: (LogLine | null)[] = [];
    let wake: (() => void) | undefined;
    emit = (l) => {
      queue.push(l);
      wake?.();
    };
    return {
      lines: (async function* () {
        for (;;) {
          const next = queue.shift();
          if (next === null) return;
          if (next) yield next;
          else
            await new Promise<void>((r) => {
              wake = r;
            });
        }
      })(),
      abort() {},
    };
  };
  let release: () => void = () => {};
  const slowStore = new Promise<void>((r) => {
    release = r;
  });
  const live = new LiveTail({
    logger: logger().l,
    follow,
    retryMs: 10,
    flushMs: 10_000,
    store: async (req) => {
      await slowStore;
      await appendLogs(tdb.db, { ...req, capBytes: 1 << 20 });
    },
  });
  try {
    live.podChanged(pod(id, 'p-1', 'waiting'));
    live.podChanged(pod(id, 'p-1', 'running'));
    await waitFor('the tail to attach', async () => (emit ? true : undefined));
    emit?.({ ts: null, line: 'first line' });
    // The deadline: the pod is deleted and removed at once, its stream ends.
    emit?.(null);
    live.podDeleted(pod(id, 'p-1', 'running'));
    const c = collector({ settleTails: (...a) => live.settle(...a) });
    const capture = c.capture(finished(id, 'Timeout'), 1);
    setTimeout(release, 100);
    await capture;
    assert.deepEqual(await storedLines(id), ['first line'], 'stored before the capture was recorded');
    assert.deepEqual(await capturedEvents(id), [{ reason: 'logs stored' }]);
  } finally {
    release();
    await live.stop();
  }
});

/** The API server's answer to a log request for a container still being created (what followPodLog throws). */
function waitingToStart(name: string): ApiException<string> {
  const message = `container in pod ${name} is waiting to start (log not available yet)`;
  return new ApiException(400, message, JSON.stringify({ code: 400, reason: 'BadRequest', message }), {});
}

test('a container that starts while the tail is attaching: the tail attaches again at once, and what the pod printed before the deadline removed it is stored', async () => {
  const id = await admitted();
  // The pod as the API server sees it, and each attach's view of it.
  let state: 'waiting' | 'running' | 'gone' = 'waiting';
  const attaches: string[] = [];
  let answerFirst: () => void = () => {};
  const firstAnswered = new Promise<void>((r) => {
    answerFirst = r;
  });
  let kill: () => void = () => {};
  const killed = new Promise<void>((r) => {
    kill = r;
  });
  const follow = (): LogFollow => {
    const n = attaches.push(state);
    const seen = state;
    return {
      lines: (async function* () {
        // The first request reached the server while the container was being created; its answer
        // comes back only after the informer has delivered the pod's start.
        if (n === 1) await firstAnswered;
        if (seen === 'waiting') throw waitingToStart('p-1');
        if (seen === 'gone') throw new ApiException(404, 'not found', '{"code":404}', {});
        yield* lines('first line');
        await killed;
      })(),
      abort() {},
    };
  };
  const live = new LiveTail({
    logger: logger().l,
    follow,
    // A pause far longer than the pod lives: only a wake-up can attach the tail in time.
    retryMs: 60_000,
    flushMs: 10,
    store: (req) => appendLogs(tdb.db, { ...req, capBytes: 1 << 20 }).then(() => {}),
  });
  try {
    live.podChanged(pod(id, 'p-1', 'waiting'));
    await waitFor('the first attach', () => attaches.length === 1);
    state = 'running';
    live.podChanged(pod(id, 'p-1', 'running'));
    answerFirst();
    await waitFor(
      'the tail to store what the running pod printed',
      async () => (await storedLines(id)).length > 0,
      5_000,
    );
    // The deadline: the pod is killed and removed, its stream ends; then the attempt is captured.
    state = 'gone';
    kill();
    live.podDeleted(pod(id, 'p-1', 'running'));
    await collector({ settleTails: (...a) => live.settle(...a) }).capture(finished(id, 'Timeout'), 1);
    assert.deepEqual(await storedLines(id), ['first line']);
    assert.deepEqual(await capturedEvents(id), [{ reason: 'logs stored' }]);
    assert.deepEqual(attaches.slice(0, 2), ['waiting', 'running']);
  } finally {
    answerFirst();
    kill();
    await live.stop();
  }
});

test('a live tail whose store fails warns with the reason, attaches again and stores the lines', async () => {
  const id = await admitted();
  const log = logger();
  let stores = 0;
  const live = new LiveTail({
    logger: log.l,
    follow: () => {
      let abort: () => void = () => {};
      const aborted = new Promise<void>((r) => {
        abort = r;
      });
      return {
        lines: (async function* () {
          yield* lines('first line');
          // The stream stays open, as a running pod's does.
          await aborted;
        })(),
        abort,
      };
    },
    retryMs: 10,
    flushMs: 10,
    store: async (req) => {
      if (++stores === 1) throw new Error('Connection terminated unexpectedly');
      await appendLogs(tdb.db, { ...req, capBytes: 1 << 20 });
    },
  });
  try {
    live.podChanged(pod(id, 'p-1', 'running'));
    await waitFor('the line stored', async () => ((await storedLines(id)).length > 0 ? true : undefined));
    assert.deepEqual(await storedLines(id), ['first line']);
    const warned = log.lines.filter((l) => l.level === 40 && l.msg === 'live tail failed; attaching again');
    assert.equal(warned.length, 1);
    assert.match(warned[0]?.reason ?? '', /Connection terminated unexpectedly/);
  } finally {
    await live.stop();
  }
});

test("a listed pod's log is read by the capture: its live tail (still attached) is not waited for", {
  timeout: 30_000,
}, async () => {
  const id = await admitted();
  const p = pod(id, 'p-1', 'terminated');
  // The tail's stream does not end until it is aborted (as while the informer has not yet seen the pod end).
  let abort: () => void = () => {};
  const aborted = new Promise<void>((r) => {
    abort = r;
  });
  const live = new LiveTail({
    logger: logger().l,
    follow: () => ({
      lines: (async function* () {
        yield* lines('a');
        await aborted;
      })(),
      abort: () => abort(),
    }),
    retryMs: 10,
    flushMs: 10,
    store: (req) => appendLogs(tdb.db, { ...req, capBytes: 1 << 20 }).then(() => {}),
  });
  try {
    live.podChanged(p);
    // A settle far longer than the test may take: waiting for this tail would time the test out.
    await collector({
      budget: { ...budget, settleMs: 600_000, budgetMs: 600_000 },
      listPods: async () => [p],
      readLog: async () => lines('a', 'b'),
      settleTails: (...a) => live.settle(...a),
    }).capture(finished(id, 'Succeeded'), 1);
    assert.deepEqual(await storedLines(id), ['a', 'b']);
    assert.deepEqual(await capturedEvents(id), [{ reason: 'logs stored' }]);
  } finally {
    await live.stop();
  }
});

test('a pod gone between the listing and the read: the capture waits for its live tail and stores what it read', async () => {
  const id = await admitted();
  const p = pod(id, 'p-1', 'terminated');
  let release: () => void = () => {};
  const slowStore = new Promise<void>((r) => {
    release = r;
  });
  const live = new LiveTail({
    logger: logger().l,
    follow: () => ({
      lines: (async function* () {
        yield* lines('only the tail saw this');
      })(),
      abort() {},
    }),
    retryMs: 10,
    flushMs: 10_000,
    store: async (req) => {
      await slowStore;
      await appendLogs(tdb.db, { ...req, capBytes: 1 << 20 });
    },
  });
  try {
    live.podChanged(p);
    live.podDeleted(p);
    const capture = collector({
      listPods: async () => [p],
      readLog: async () => {
        // Read only after the listing: the pod has gone meanwhile.
        setTimeout(release, 50);
        throw new ApiException(404, 'not found', '{"code":404}', {});
      },
      settleTails: (...a) => live.settle(...a),
    }).capture(finished(id, 'Timeout'), 1);
    await capture;
    assert.deepEqual(
      await storedLines(id),
      ['only the tail saw this'],
      'stored before the capture was recorded',
    );
    assert.deepEqual(await capturedEvents(id), [{ reason: 'logs stored' }]);
  } finally {
    release();
    await live.stop();
  }
});

/** A follow that records which pods were attached and serves each one line, then the end. */
function recordingFollow() {
  const attached: string[] = [];
  const follow = (_ns: string, name: string): LogFollow => {
    attached.push(name);
    return {
      lines: (async function* () {
        yield { ts: null, line: `${name} says hi` };
      })(),
      abort() {},
    };
  };
  return { attached, follow };
}

test('attachAfterMs: a pod that ends sooner is read once when it ends, not tailed, and the capture does not read it again; a longer one is tailed from its first line', async () => {
  const id = await admitted();
  const { attached, follow } = recordingFollow();
  const reads: string[] = [];
  const live = new LiveTail({
    logger: logger().l,
    follow,
    flushMs: 10,
    attachAfterMs: 150,
    read: async (_ns, name) => {
      reads.push(name);
      return lines(`${name} says hi`);
    },
    store: async (req) => {
      await appendLogs(tdb.db, { ...req, capBytes: 1 << 20 });
    },
  });
  try {
    for (const name of ['short', 'long']) {
      live.podChanged(pod(id, name, 'waiting'));
      live.podChanged(pod(id, name, 'running'));
    }
    live.podChanged(pod(id, 'short', 'terminated'));
    live.podChanged(pod(id, 'short', 'terminated'));
    await waitFor('both pods stored', async () => ((await storedLines(id)).length === 2 ? true : undefined));
    assert.deepEqual(new Set(attached), new Set(['long']), 'the short pod was never attached');
    assert.deepEqual(reads, ['short'], 'read once');
    assert.deepEqual((await storedLines(id)).sort(), ['long says hi', 'short says hi']);
    // The capture reads only what this process has not stored whole.
    const captureReads: string[] = [];
    const c = collector({
      listPods: async () => [pod(id, 'short', 'terminated'), pod(id, 'long', 'terminated')],
      readLog: async (_ns, name) => {
        captureReads.push(name);
        return lines(`${name} says hi`);
      },
      storedWhole: (name, ms) => live.storedWhole(name, ms),
    });
    await c.capture(finished(id, 'Succeeded'), 1);
    assert.deepEqual(captureReads, ['long']);
    assert.deepEqual((await storedLines(id)).sort(), ['long says hi', 'short says hi']);
    assert.deepEqual(await capturedEvents(id), [{ reason: 'logs stored' }]);
  } finally {
    await live.stop();
  }
});

test('a read at the end that fails leaves the pod to the capture', async () => {
  const id = await admitted();
  const live = new LiveTail({
    logger: logger().l,
    follow: recordingFollow().follow,
    attachAfterMs: 150,
    read: async () => {
      throw new ApiException(500, 'x', JSON.stringify({ code: 500, reason: 'InternalError' }), {});
    },
    store: async () => {},
  });
  try {
    live.podChanged(pod(id, 'p', 'terminated'));
    assert.equal(await live.storedWhole('p', 5_000), false);
    const c = collector({
      listPods: async () => [pod(id, 'p', 'terminated')],
      readLog: async () => lines('read by the capture'),
      storedWhole: (name, ms) => live.storedWhole(name, ms),
    });
    await c.capture(finished(id, 'Succeeded'), 1);
    assert.deepEqual(await storedLines(id), ['read by the capture']);
  } finally {
    await live.stop();
  }
});

test('attachAfterMs: a young pod being deleted (cancel, deadline) is tailed at once', async () => {
  const id = await admitted();
  const { attached, follow } = recordingFollow();
  const live = new LiveTail({ logger: logger().l, follow, attachAfterMs: 60_000, store: async () => {} });
  try {
    live.podChanged(pod(id, 'p', 'running'));
    const deleting = pod(id, 'p', 'running');
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: new Date() };
    live.podChanged(deleting);
    await waitFor('the tail attached', async () => (attached.length > 0 ? true : undefined));
    assert.deepEqual(attached, ['p']);
  } finally {
    await live.stop();
  }
});

test('a capture of a Succeeded attempt lists its pods from the informer cache when given, not from the API', async () => {
  const id = await admitted();
  let listed = 0;
  const c = collector({
    listPods: async () => {
      listed++;
      return [];
    },
    cachedPods: (_job, status) => (status === 'Succeeded' ? [pod(id, 'p', 'terminated')] : undefined),
    readLog: async () => lines('from the cache'),
  });
  await c.capture(finished(id, 'Succeeded'), 1);
  assert.equal(listed, 0);
  assert.deepEqual(await storedLines(id), ['from the cache']);
  assert.deepEqual(await capturedEvents(id), [{ reason: 'logs stored' }]);
  assert.equal(await deletes(id), 1);
});

test('a collector (re)started while a pod has long been running attaches its tail at once: the lines printed before are stored', async () => {
  const id = await admitted();
  const { attached, follow } = recordingFollow();
  const live = new LiveTail({
    logger: logger().l,
    follow,
    attachAfterMs: 60_000,
    store: async (req) => {
      await appendLogs(tdb.db, { ...req, capBytes: 1 << 20 });
    },
  });
  try {
    const old = pod(id, 'p', 'running');
    const running = old.status?.containerStatuses?.[0]?.state?.running;
    if (running) running.startedAt = new Date(Date.now() - 120_000);
    live.podChanged(old);
    await waitFor('the line stored', async () => ((await storedLines(id)).length > 0 ? true : undefined));
    assert.equal(attached[0], 'p');
    assert.deepEqual(await storedLines(id), ['p says hi']);
  } finally {
    await live.stop();
  }
});

test('maxTails: pods due a tail beyond the cap wait, oldest first; one that ends while waiting is read whole; one being deleted is tailed over the cap; every line is stored', async () => {
  const id = await admitted();
  const attached: string[] = [];
  const ends = new Map<string, () => void>();
  // A stream that prints one line and stays open until the test ends it (the container exits).
  const follow = (_ns: string, name: string): LogFollow => {
    attached.push(name);
    const end = Promise.withResolvers<void>();
    ends.set(name, end.resolve);
    return {
      lines: (async function* () {
        yield { ts: null, line: `${name} says hi` };
        await end.promise;
      })(),
      abort: end.resolve,
    };
  };
  const reads: string[] = [];
  const live = new LiveTail({
    logger: logger().l,
    follow,
    flushMs: 10,
    attachAfterMs: 60_000,
    maxTails: 2,
    read: async (_ns, name) => {
      reads.push(name);
      return lines(`${name} says hi`);
    },
    store: async (req) => {
      await appendLogs(tdb.db, { ...req, capBytes: 1 << 20 });
    },
  });
  const longRunning = (name: string) => {
    const p = pod(id, name, 'running');
    const running = p.status?.containerStatuses?.[0]?.state?.running;
    if (running) running.startedAt = new Date(Date.now() - 120_000);
    return p;
  };
  const stored = async (n: number) =>
    waitFor(`${n} lines stored`, async () => ((await storedLines(id)).length === n ? true : undefined));
  try {
    for (const name of ['a', 'b', 'c', 'd']) live.podChanged(longRunning(name));
    assert.deepEqual(attached, ['a', 'b'], 'the first two pods due get the two tails');
    assert.deepEqual(live.counts, { tailing: 2, waiting: 2 });
    await stored(2);

    // c ends while it waits: read whole once, at once, without a tail.
    live.podChanged(pod(id, 'c', 'terminated'));
    await stored(3);
    assert.deepEqual(reads, ['c']);
    assert.deepEqual(live.counts, { tailing: 2, waiting: 1 });

    // e is being deleted (cancel, deadline) before its container ended: tailed now, over the cap.
    const deleting = longRunning('e');
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: new Date() };
    live.podChanged(deleting);
    assert.deepEqual(attached, ['a', 'b', 'e']);
    await stored(4);

    // a and e end: d, which waited longest, gets a tail once fewer than two are open (e's counted).
    live.podChanged(pod(id, 'a', 'terminated'));
    ends.get('a')?.();
    live.podChanged(pod(id, 'e', 'terminated'));
    ends.get('e')?.();
    await waitFor('d attached', async () => (attached.includes('d') ? true : undefined));
    assert.deepEqual(attached, ['a', 'b', 'e', 'd']);
    await stored(5);
    assert.deepEqual(live.counts, { tailing: 2, waiting: 0 });
    assert.deepEqual((await storedLines(id)).sort(), [
      'a says hi',
      'b says hi',
      'c says hi',
      'd says hi',
      'e says hi',
    ]);
    assert.deepEqual(reads, ['c'], 'no tailed pod was read again');
  } finally {
    await live.stop();
  }
});
