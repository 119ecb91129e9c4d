import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pendingOf } from './pending.ts';

test('pendingOf reads the richest "why pending" the API gives', () => {
  const cases: [
    Record<string, unknown>,
    { reason?: string; position?: number; details?: [string, string][] },
  ][] = [
    [{ reason: null }, {}],
    [{ reason: 'waiting for a slot' }, { reason: 'waiting for a slot' }],
    [
      { reason: 'old', queue: { position: 3, reason: 'tenant at its quota', running: 2, max_running: 2 } },
      {
        reason: 'tenant at its quota',
        position: 3,
        details: [
          ['running', '2'],
          ['max running', '2'],
        ],
      },
    ],
    [
      { pending_reason: 'paused', queue_position: 1 },
      { reason: 'paused', position: 1 },
    ],
    [{ pending_reason: { code: 'QuotaExceeded', ahead: 4 } }, { reason: 'QuotaExceeded', position: 4 }],
  ];
  for (const [input, want] of cases) {
    assert.deepEqual(pendingOf(input), {
      reason: want.reason,
      position: want.position,
      details: want.details ?? [],
    });
  }
});
