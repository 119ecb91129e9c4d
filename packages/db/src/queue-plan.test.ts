import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickAdmissions, type QueuedRow, queueStates, type Room, type TenantRoom } from './queue-plan.ts';

const row = (
  id: string,
  tenantId: string,
  effectiveRank: number,
  queuedUs: number,
  cpu = 100,
  mem = 0,
): QueuedRow => ({
  id,
  tenantId,
  effectiveRank,
  queuedUs,
  cpuMillis: cpu,
  memoryBytes: mem,
});
const tenant = (tenantId: string, head: QueuedRow[], more: Partial<TenantRoom> = {}): TenantRoom => ({
  tenantId,
  maxRunning: 10,
  running: 0,
  maxCpuMillis: null,
  cpuMillis: 0,
  maxMemoryBytes: null,
  memoryBytes: 0,
  head,
  ...more,
});
const OPEN: Room = {
  maxRunning: null,
  running: 0,
  maxCpuMillis: null,
  cpuMillis: 0,
  maxMemoryBytes: null,
  memoryBytes: 0,
};
const ids = (rows: QueuedRow[]) => rows.map((r) => r.id);

describe('pickAdmissions', () => {
  const cases: [string, TenantRoom[], Room, number, string[]][] = [
    [
      'merges tenants by effective rank, then age',
      [tenant('a', [row('a1', 'a', 2, 5), row('a2', 'a', 0, 1)]), tenant('b', [row('b1', 'b', 2, 3)])],
      OPEN,
      10,
      ['b1', 'a1', 'a2'],
    ],
    [
      'stops at the batch limit',
      [tenant('a', [row('a1', 'a', 1, 1), row('a2', 'a', 1, 2)])],
      OPEN,
      1,
      ['a1'],
    ],
    [
      "a tenant's free slots",
      [tenant('a', [row('a1', 'a', 1, 1), row('a2', 'a', 1, 2)], { running: 9 })],
      OPEN,
      10,
      ['a1'],
    ],
    [
      "a tenant's CPU room, in order: a small one behind a large one waits too",
      [tenant('a', [row('a1', 'a', 1, 1, 500), row('a2', 'a', 1, 2, 100)], { maxCpuMillis: 400 })],
      OPEN,
      10,
      [],
    ],
    [
      'the global running quota',
      [tenant('a', [row('a1', 'a', 1, 1)]), tenant('b', [row('b1', 'b', 1, 2)])],
      { ...OPEN, maxRunning: 3, running: 2 },
      10,
      ['a1'],
    ],
    [
      'the global memory room',
      [tenant('a', [row('a1', 'a', 1, 1, 0, 60)]), tenant('b', [row('b1', 'b', 1, 2, 0, 60)])],
      { ...OPEN, maxMemoryBytes: 100 },
      10,
      ['a1'],
    ],
  ];
  for (const [name, tenants, global, limit, want] of cases)
    it(name, () => assert.deepEqual(ids(pickAdmissions(tenants, global, limit)), want));
});

describe('queueStates', () => {
  it('reasons after the admissions, and none for a tenant whose whole queue was admitted', () => {
    const tenants = [
      tenant('done', [row('d1', 'done', 1, 1)]),
      tenant('full', [row('f1', 'full', 1, 1), row('f2', 'full', 1, 2)], { maxRunning: 1 }),
      tenant('paused', [], { maxRunning: 0 }),
      tenant('cpu', [row('c1', 'cpu', 1, 1, 300)], { maxCpuMillis: 500, cpuMillis: 300 }),
    ];
    const admitted = pickAdmissions(tenants, OPEN, 10);
    assert.deepEqual(ids(admitted), ['d1', 'f1']);
    assert.deepEqual(
      queueStates(tenants, OPEN, admitted).map((s) => [s.tenantId, s.reason, s.message]),
      [
        ['full', 'TenantConcurrencyQuota', 'tenant full has 1/1 pipelines running'],
        ['paused', 'TenantPaused', 'tenant paused is paused (max_running 0)'],
        ['cpu', 'TenantResourceQuota', "tenant cpu's next pipeline needs 300m CPU; 300m/500m CPU in use"],
      ],
    );
  });

  it('a pick a concurrent transaction held (skipped) leaves its tenant next in line', () => {
    const tenants = [tenant('a', [row('a1', 'a', 1, 1)])];
    assert.deepEqual(
      queueStates(tenants, OPEN, []).map((s) => s.reason),
      ['Queued'],
    );
  });
});
