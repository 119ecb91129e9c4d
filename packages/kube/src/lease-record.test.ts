import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1LeaseSpec } from '@kubernetes/client-node';
import { type Observed, observe, planLeaseWrite } from './lease-record.ts';

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const spec = (s: Partial<V1LeaseSpec>): V1LeaseSpec => ({
  holderIdentity: 'b',
  leaseDurationSeconds: 15,
  acquireTime: '2026-01-02T03:00:00.000000Z' as unknown as V1LeaseSpec['acquireTime'],
  renewTime: '2026-01-02T03:04:00.000000Z' as unknown as V1LeaseSpec['renewTime'],
  leaseTransitions: 3,
  ...s,
});
const seen = (s: V1LeaseSpec, atMs: number): Observed => observe(undefined, s, atMs);

const cases: {
  name: string;
  current: V1LeaseSpec | undefined;
  observedAt?: number;
  now: number;
  want:
    | { kind: 'wait'; holder: string }
    | { kind: 'write'; acquiring: boolean; transitions: number; keepsAcquireTime: boolean };
}[] = [
  {
    name: 'no Lease yet: create it, holding it',
    current: undefined,
    now: T0,
    want: { kind: 'write', acquiring: true, transitions: 0, keepsAcquireTime: false },
  },
  {
    name: 'another holder, seen changing within leaseDuration: wait',
    current: spec({}),
    observedAt: T0 - 14_999,
    now: T0,
    want: { kind: 'wait', holder: 'b' },
  },
  {
    name: 'another holder, unchanged for leaseDuration: take over, one more transition',
    current: spec({}),
    observedAt: T0 - 15_000,
    now: T0,
    want: { kind: 'write', acquiring: true, transitions: 4, keepsAcquireTime: false },
  },
  {
    name: 'released (empty holder): take over at once',
    current: spec({ holderIdentity: '', leaseDurationSeconds: 1 }),
    observedAt: T0,
    now: T0,
    want: { kind: 'write', acquiring: true, transitions: 4, keepsAcquireTime: false },
  },
  {
    name: 'held by me: renew, keeping acquireTime and transitions',
    current: spec({ holderIdentity: 'a' }),
    observedAt: T0 - 1000,
    now: T0,
    want: { kind: 'write', acquiring: false, transitions: 3, keepsAcquireTime: true },
  },
  {
    name: 'a holder whose renewTime is far in the past but just seen: its clock does not count, wait',
    current: spec({ renewTime: '2020-01-01T00:00:00.000000Z' as unknown as V1LeaseSpec['renewTime'] }),
    observedAt: T0,
    now: T0,
    want: { kind: 'wait', holder: 'b' },
  },
];

for (const c of cases) {
  test(`planLeaseWrite: ${c.name}`, () => {
    const observed = c.current && c.observedAt !== undefined ? seen(c.current, c.observedAt) : undefined;
    const step = planLeaseWrite(c.current, observed, c.now, 'a', 15);
    if (c.want.kind === 'wait') {
      assert.deepEqual(step, c.want);
      return;
    }
    assert.equal(step.kind, 'write');
    if (step.kind !== 'write') return;
    assert.equal(step.acquiring, c.want.acquiring);
    assert.equal(step.spec.holderIdentity, 'a');
    assert.equal(step.spec.leaseDurationSeconds, 15);
    assert.equal(step.spec.leaseTransitions, c.want.transitions);
    assert.equal(JSON.stringify(step.spec.renewTime), '"2026-01-02T03:04:05.000000Z"');
    assert.equal(
      String(JSON.parse(JSON.stringify(step.spec.acquireTime))),
      c.want.keepsAcquireTime ? '2026-01-02T03:00:00.000000Z' : '2026-01-02T03:04:05.000000Z',
    );
  });
}

test('observe: the expiry clock restarts only when the record changes', () => {
  const first = observe(undefined, spec({}), T0);
  assert.equal(observe(first, spec({}), T0 + 5000).atMs, T0);
  const renewed = spec({ renewTime: '2026-01-02T03:04:02.000000Z' as unknown as V1LeaseSpec['renewTime'] });
  assert.equal(observe(first, renewed, T0 + 5000).atMs, T0 + 5000);
});
