import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Pending, pendingOf } from './pending.ts';

test('pendingOf reads the queue object the API gives, else the reason', () => {
  const cases: [Record<string, unknown>, Pending][] = [
    [
      { reason: null, queue: null },
      { reason: undefined, position: undefined, details: [] },
    ],
    [{ reason: 'restarted by admin' }, { reason: 'restarted by admin', position: undefined, details: [] }],
    [
      {
        reason: 'old',
        queue: {
          reason: 'TenantConcurrencyQuota',
          message: 'tenant acme has 2/2 pipelines running',
          details: { running: 2, max_running: 2, max_cpu_millis: null },
          position: { tenant: 3, overall: 7 },
          checked_at: '2026-11-30T00:00:00Z',
        },
      },
      {
        reason: 'TenantConcurrencyQuota: tenant acme has 2/2 pipelines running',
        position: "3 in its tenant's queue, 7 overall",
        details: [
          ['running', '2'],
          ['max running', '2'],
        ],
      },
    ],
    [
      { reason: null, queue: { reason: 'Queued', message: '', details: {}, position: null } },
      { reason: 'Queued', position: undefined, details: [] },
    ],
  ];
  for (const [input, want] of cases) assert.deepEqual(pendingOf(input), want);
});
