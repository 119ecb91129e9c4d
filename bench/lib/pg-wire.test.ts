import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PgCounts, PgFrontendCounter } from './pg-wire.ts';

const msg = (type: string, body = Buffer.alloc(0)) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
};
const startup = (code: number, extra = Buffer.alloc(0)) => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8 + extra.length, 0);
  b.writeInt32BE(code, 4);
  return Buffer.concat([b, extra]);
};
const cstr = (s: string) => Buffer.from(`${s}\0`);

test('counts statements (Query, Execute) and round trips (Query, Sync), however the bytes are split', () => {
  const stream = Buffer.concat([
    startup(80877103), // SSLRequest, then the real startup message
    startup(196608, Buffer.concat([cstr('user'), cstr('root'), cstr('')])),
    msg('Q', cstr('begin')),
    msg('P', Buffer.concat([cstr(''), cstr('select $1'), Buffer.from([0, 0])])),
    msg('B', Buffer.alloc(10)),
    msg('D', Buffer.from('P\0')),
    msg('E', Buffer.alloc(5)),
    msg('S'),
    msg('Q', cstr('commit')),
    msg('X'),
  ]);
  for (const size of [1, 3, 7, stream.length]) {
    const counts: PgCounts = { statements: 0, roundTrips: 0, parses: 0, connections: 0 };
    const c = new PgFrontendCounter(counts);
    for (let i = 0; i < stream.length; i += size) c.feed(stream.subarray(i, i + size));
    assert.deepEqual(
      counts,
      { statements: 3, roundTrips: 3, parses: 3, connections: 1 },
      `chunks of ${size}`,
    );
  }
});

test('a named prepared statement is parsed once: later executions send no Parse', () => {
  const execute = [
    msg('B', Buffer.alloc(10)),
    msg('D', Buffer.from('P\0')),
    msg('E', Buffer.alloc(5)),
    msg('S'),
  ];
  const stream = Buffer.concat([
    startup(196608, Buffer.concat([cstr('user'), cstr('root'), cstr('')])),
    msg('P', Buffer.concat([cstr('po_0'), cstr('select $1'), Buffer.from([0, 0])])),
    ...execute,
    ...execute,
    msg('Q', cstr('begin')),
  ]);
  const counts: PgCounts = { statements: 0, roundTrips: 0, parses: 0, connections: 0 };
  const texts = new Map<string, number>();
  new PgFrontendCounter(counts, texts).feed(stream);
  assert.deepEqual(counts, { statements: 3, roundTrips: 3, parses: 2, connections: 1 });
  assert.deepEqual(
    [...texts],
    [
      ['select $1', 1],
      ['begin', 1],
    ],
  );
});
