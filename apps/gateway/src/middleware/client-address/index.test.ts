import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forwardedClient } from './index.ts';

describe('forwardedClient (TRUSTED_PROXY_HOPS, counted from the right)', () => {
  const PEER = '10.0.0.9';
  const cases: [string, string | undefined, number, string | null][] = [
    ['no proxy: the header is the client’s claim, ignored', '1.2.3.4', 0, PEER],
    ['one proxy: the entry it appended', '1.2.3.4', 1, '1.2.3.4'],
    ['one proxy: a spoofed left-most entry is ignored', '6.6.6.6, 1.2.3.4', 1, '1.2.3.4'],
    ['two proxies: second from the right', '6.6.6.6, 1.2.3.4, 10.0.0.2', 2, '1.2.3.4'],
    ['fewer entries than hops: the left-most (a proxy wrote it)', '1.2.3.4', 3, '1.2.3.4'],
    ['IPv6', '2001:db8::1', 1, '2001:db8::1'],
    ['not an address: the peer', 'hello, <script>', 1, PEER],
    ['no header: the peer', undefined, 1, PEER],
    ['empty entries only: the peer', ' , ', 1, PEER],
  ];
  for (const [name, xff, hops, want] of cases)
    it(name, () => assert.equal(forwardedClient(xff, hops, PEER), want));
});
