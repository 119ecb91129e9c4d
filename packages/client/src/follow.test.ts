import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPoApiError } from './errors.ts';
import { type FollowTransport, followLogs, type LogEvent } from './follow.ts';

const line = (n: number) => JSON.stringify({ attempt: 1, pod: 'p', ts: null, line: `line ${n}` });

function sse(...blocks: string[]): Response {
  return new Response(blocks.join(''), { headers: { 'content-type': 'text/event-stream' } });
}

/** Answers each connection with the next scripted response (or throws it), recording what was asked. */
function scripted(answers: (Response | Error)[]) {
  const asked: { query: string; lastEventId: string | undefined }[] = [];
  const transport: FollowTransport = {
    async open(query, headers) {
      asked.push({ query: query.toString(), lastEventId: headers['last-event-id'] });
      const a = answers.shift();
      if (a === undefined) throw new Error('no more answers');
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return { transport, asked };
}

async function collect(it: AsyncIterable<LogEvent>): Promise<LogEvent[]> {
  const out: LogEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

test('a stream cut before the end is resumed after the last line with Last-Event-ID', async () => {
  const { transport, asked } = scripted([
    sse('event: status\ndata: {"status":"Running"}\n\n', `event: log\nid: 7\ndata: ${line(1)}\n\n`),
    new TypeError('fetch failed'),
    sse(
      ': heartbeat\n\n',
      'event: status\ndata: {"status":"Running"}\n\n',
      `event: log\nid: 8\ndata: ${line(2)}\n\n`,
      'event: end\ndata: {"status":"Succeeded","truncated":false}\n\n',
    ),
  ]);
  const events = await collect(followLogs(transport, { tail: 10, retryMs: 1 }));
  assert.deepEqual(
    events.map((e) => (e.type === 'log' ? `log ${e.id} ${e.line.line}` : e.type)),
    ['status', 'log 7 line 1', 'reconnect', 'reconnect', 'status', 'log 8 line 2', 'end'],
  );
  assert.deepEqual(asked, [
    { query: 'follow=true&tail=10', lastEventId: undefined },
    { query: 'follow=true', lastEventId: '7' },
    { query: 'follow=true', lastEventId: '7' },
  ]);
});

test('the server ending a stream as idle or too slow is a reconnect, not the end', async () => {
  const { transport, asked } = scripted([
    sse(`event: log\nid: 3\ndata: ${line(3)}\n\n`, 'event: idle\ndata: {}\n\n'),
    sse('event: end\ndata: {"status":"Failed","truncated":true}\n\n'),
  ]);
  const events = await collect(followLogs(transport, { retryMs: 1 }));
  assert.deepEqual(events.at(-1), { type: 'end', status: 'Failed', truncated: true });
  assert.equal(asked[1]?.lastEventId, '3');
});

test('a refusal is thrown as its error kind; a full follower quota is waited out', async () => {
  const notFound = scripted([
    Response.json({ error: 'Pipeline not found', type: 'NotFound' }, { status: 404 }),
  ]);
  await assert.rejects(collect(followLogs(notFound.transport, { retryMs: 1 })), (err) =>
    isPoApiError(err, 'NotFound'),
  );
  assert.equal(notFound.asked.length, 1, 'not retried');

  const busy = scripted([
    Response.json(
      { error: 'Resource quota exceeded: followers', type: 'ResourceQuotaExceeded' },
      { status: 429 },
    ),
    sse('event: end\ndata: {"status":"Succeeded","truncated":false}\n\n'),
  ]);
  const events = await collect(followLogs(busy.transport, { retryMs: 1 }));
  assert.equal(events.at(-1)?.type, 'end');
});

test('a gateway that stays unreachable fails the iterator after maxRetries; an abort ends it', async () => {
  const down = scripted(Array.from({ length: 10 }, () => new TypeError('fetch failed')));
  await assert.rejects(collect(followLogs(down.transport, { retryMs: 1, maxRetries: 2 })), /fetch failed/);
  assert.equal(down.asked.length, 3);

  const ac = new AbortController();
  const never = scripted(Array.from({ length: 10 }, () => new TypeError('fetch failed')));
  const it = followLogs(never.transport, { retryMs: 60_000, signal: ac.signal });
  const first = await it.next();
  assert.equal(first.value?.type, 'reconnect');
  const pending = it.next();
  ac.abort(new Error('stopped'));
  await assert.rejects(pending, /stopped/);
});
