import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  admitQueued,
  appendLogs,
  insertPipeline,
  markLogsCaptured,
  storableText,
  storeCapture,
  transition,
  truncationMarker,
} from './index.ts';
import { databaseForTests, newPipelineRow } from './testing.ts';

const tdb = databaseForTests();
const { subjects } = tdb;

async function admittedPipeline() {
  await tdb.db.deleteFrom('pipelines').execute();
  const r = await insertPipeline(tdb.db, subjects, newPipelineRow());
  assert.ok(r.created);
  await admitQueued(tdb.db, subjects, { limit: 1 });
  return r.pipeline.id;
}

const lines = (...texts: string[]) => texts.map((line) => ({ ts: null, line }));
const stored = (id: string) =>
  tdb.db
    .selectFrom('pipeline_logs')
    .select(['attempt', 'line'])
    .where('pipeline_id', '=', id)
    .orderBy('id')
    .execute();

test('appendLogs caps bytes per pipeline across attempts and writes one marker', async () => {
  const id = await admittedPipeline();
  const cap = 20;
  assert.deepEqual(
    await appendLogs(tdb.db, {
      pipelineId: id,
      attempt: 1,
      podName: 'p1',
      lines: lines('0123456789'),
      capBytes: cap,
    }),
    {
      bytes: 10,
      truncated: false,
    },
  );
  // Retry: attempt 2's logs count against the same cap.
  assert.ok((await transition(tdb.db, subjects, { pipelineId: id, to: 'Running' })).ok);
  assert.ok((await transition(tdb.db, subjects, { pipelineId: id, to: 'Queued' })).ok);
  await admitQueued(tdb.db, subjects, { limit: 1 });
  const r = await appendLogs(tdb.db, {
    pipelineId: id,
    attempt: 2,
    podName: 'p2',
    lines: lines('abcde', 'fghijk', 'lm'),
    capBytes: cap,
  });
  assert.deepEqual(r, { bytes: 5, truncated: true });
  const later = await appendLogs(tdb.db, {
    pipelineId: id,
    attempt: 2,
    podName: 'p2',
    lines: lines('x'),
    capBytes: cap,
  });
  assert.deepEqual(later, { bytes: 0, truncated: true });
  assert.deepEqual(
    (await stored(id)).map((l) => [l.attempt, l.line]),
    [
      [1, '0123456789'],
      [2, 'abcde'],
      [2, truncationMarker(cap)],
    ],
  );
  assert.equal(truncationMarker(cap), '[log truncated: size cap of 20 bytes reached]');
  const attempts = await tdb.db
    .selectFrom('pipeline_attempts')
    .select(['attempt', 'logs_bytes', 'logs_truncated'])
    .where('pipeline_id', '=', id)
    .orderBy('attempt')
    .execute();
  assert.deepEqual(attempts, [
    { attempt: 1, logs_bytes: 10, logs_truncated: false },
    { attempt: 2, logs_bytes: 5, logs_truncated: true },
  ]);
});

test('concurrent appenders never exceed the cap and write exactly one marker', async () => {
  const id = await admittedPipeline();
  const cap = 100;
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      appendLogs(tdb.db, {
        pipelineId: id,
        attempt: 1,
        podName: `p${i}`,
        lines: lines('x'.repeat(30)),
        capBytes: cap,
      }),
    ),
  );
  const rows = await stored(id);
  assert.equal(rows.filter((l) => l.line === truncationMarker(cap)).length, 1);
  const bytes = rows.filter((l) => l.line !== truncationMarker(cap)).reduce((s, l) => s + l.line.length, 0);
  assert.equal(bytes, 90);
});

test('markLogsCaptured records once and enqueues one JobDelete', async () => {
  const id = await admittedPipeline();
  const req = {
    pipelineId: id,
    attempt: 1,
    jobName: `pipeline-${id}-1`,
    namespace: 'default',
    reason: 'logs stored',
  };
  assert.equal(await markLogsCaptured(tdb.db, subjects, req), true);
  assert.equal(await markLogsCaptured(tdb.db, subjects, { ...req, reason: 'again' }), false);
  const deletes = await tdb.db
    .selectFrom('outbox')
    .selectAll()
    .where('subject', '=', subjects.jobDelete)
    .execute();
  assert.deepEqual(
    deletes.map((d) => d.msg_id),
    [`${id}:1:delete`],
  );
  const events = await tdb.db
    .selectFrom('pipeline_events')
    .select(['kind', 'reason'])
    .where('pipeline_id', '=', id)
    .where('kind', '=', 'logs_captured')
    .execute();
  assert.deepEqual(events, [{ kind: 'logs_captured', reason: 'logs stored' }], 'the first reason, once');
});

test('overlapping appends with offsets (live follower, then final capture) store every line once, in order', async () => {
  const id = await admittedPipeline();
  const append = (offset: number, ...texts: string[]) =>
    appendLogs(tdb.db, {
      pipelineId: id,
      attempt: 1,
      podName: 'p',
      lines: lines(...texts),
      offset,
      capBytes: 1 << 20,
    });
  await append(0, 'a', 'b');
  await append(1, 'b', 'c'); // overlaps by one line
  await append(5, 'f'); // would leave a gap (d, e missing): skipped
  await append(0, 'a', 'b', 'c', 'd', 'e', 'f'); // the final capture reads the whole log
  await append(0, 'a', 'b', 'c', 'd', 'e', 'f'); // redelivered capture: nothing new
  assert.deepEqual(
    (await stored(id)).map((r) => r.line),
    ['a', 'b', 'c', 'd', 'e', 'f'],
  );
});

test('storableText: NUL and lone surrogates become U+FFFD, everything else is kept', () => {
  const table: [string, string][] = [
    ['plain', 'plain'],
    ['a\0b\0', 'a\uFFFDb\uFFFD'],
    ['x\ud800y', 'x\uFFFDy'],
    ['\udfffz', '\uFFFDz'],
    ['emoji \u{1F600} ok', 'emoji \u{1F600} ok'],
    ['line\u2028sep\ttab', 'line\u2028sep\ttab'],
  ];
  for (const [input, want] of table) assert.equal(storableText(input), want, JSON.stringify(input));
});

test('a batch holding a NUL and a lone surrogate is stored whole', async () => {
  const id = await admittedPipeline();
  await appendLogs(tdb.db, {
    pipelineId: id,
    attempt: 1,
    podName: 'p',
    lines: lines('before', 'nul\0here', 'half \ud83d', 'after'),
    capBytes: 1 << 20,
  });
  assert.deepEqual(
    (await stored(id)).map((r) => r.line),
    ['before', 'nul\uFFFDhere', 'half \uFFFD', 'after'],
  );
});

test('storeCapture: two collectors capturing the same attempt at once store it once', async () => {
  const id = await admittedPipeline();
  const capture = (who: string) =>
    storeCapture(tdb.db, subjects, {
      pipelineId: id,
      attempt: 1,
      jobName: `pipeline-${id}-1`,
      namespace: 'default',
      pods: [{ podName: 'p', lines: lines('one', 'two', who) }],
      capBytes: 1 << 20,
      reason: () => `logs stored by ${who}`,
    });
  const results = await Promise.all([capture('a'), capture('b'), capture('c')]);
  assert.equal(results.filter((r) => r.stored).length, 1);
  const rows = await stored(id);
  assert.equal(rows.length, 3);
  assert.deepEqual(
    rows.slice(0, 2).map((r) => r.line),
    ['one', 'two'],
  );
  const events = await tdb.db
    .selectFrom('pipeline_events')
    .select('reason')
    .where('pipeline_id', '=', id)
    .where('kind', '=', 'logs_captured')
    .execute();
  assert.equal(events.length, 1);
  assert.equal(events[0]?.reason, `logs stored by ${rows[2]?.line}`);
});

test('storeCapture: every pod in one capture, lines already stored skipped; a second capture stores nothing and asks for the deletion again', async () => {
  const id = await admittedPipeline();
  await appendLogs(tdb.db, {
    pipelineId: id,
    attempt: 1,
    podName: 'a',
    lines: lines('a1'),
    offset: 0,
    capBytes: 1 << 20,
  });
  const capture = (pods: { podName: string; lines: { ts: Date | null; line: string }[] }[]) =>
    storeCapture(tdb.db, subjects, {
      pipelineId: id,
      attempt: 1,
      jobName: `pipeline-${id}-1`,
      namespace: 'default',
      pods,
      capBytes: 1 << 20,
      reason: (t) => (t ? 'truncated' : 'logs stored'),
    });
  assert.deepEqual(
    await capture([
      { podName: 'a', lines: lines('a1', 'a2') },
      { podName: 'b', lines: lines('b1') },
    ]),
    {
      stored: true,
      truncated: false,
      bytes: 4,
    },
  );
  assert.deepEqual(
    (await stored(id)).map((r) => r.line),
    ['a1', 'a2', 'b1'],
  );
  assert.deepEqual(await capture([{ podName: 'b', lines: lines('b1', 'b2') }]), {
    stored: false,
    truncated: false,
    bytes: 0,
    skipped: 'logs already stored',
  });
  assert.deepEqual(
    (await stored(id)).map((r) => r.line),
    ['a1', 'a2', 'b1'],
  );
  const attempt = await tdb.db
    .selectFrom('pipeline_attempts')
    .select(['logs_bytes', 'logs_captured_at'])
    .where('pipeline_id', '=', id)
    .executeTakeFirstOrThrow();
  assert.equal(attempt.logs_bytes, 6);
  assert.ok(attempt.logs_captured_at);
  const deletes = await tdb.db
    .selectFrom('outbox')
    .select('msg_id')
    .where('subject', '=', subjects.jobDelete)
    .where('msg_id', 'like', `${id}:%`)
    .execute();
  assert.equal(deletes.length, 1, 'the same JobDelete message: enqueued once');
});

test('two appenders storing the same whole log at once (two replicas reading an ended pod) store each line once', async () => {
  const id = await admittedPipeline();
  for (let round = 0; round < 5; round++) {
    const lines_ = lines(...Array.from({ length: round + 2 }, (_, i) => `r${round} line ${i}`));
    await Promise.all(
      [0, 1, 2].map(() =>
        appendLogs(tdb.db, {
          pipelineId: id,
          attempt: 1,
          podName: `p${round}`,
          lines: lines_,
          offset: 0,
          capBytes: 1 << 20,
        }),
      ),
    );
    const got = (await stored(id)).map((r) => r.line).filter((l) => l.startsWith(`r${round} `));
    assert.deepEqual(
      got,
      lines_.map((l) => l.line),
    );
  }
});
