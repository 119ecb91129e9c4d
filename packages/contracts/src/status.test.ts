import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PIPELINE_STATUSES } from './api.ts';
import { canTransition, isTerminal, TERMINAL_STATUSES } from './status.ts';

const allowed = new Set([
  'Queued>Queued',
  'Queued>Running',
  'Queued>Failed',
  'Queued>Timeout',
  'Queued>Cancelled',
  'Running>Succeeded',
  'Running>Failed',
  'Running>Timeout',
  'Running>Cancelled',
  'Running>Queued',
  'Succeeded>Queued',
  'Failed>Queued',
  'Timeout>Queued',
  'Cancelled>Queued',
]);

test('the transition table allows exactly the lifecycle edges and refuses every other pair', () => {
  for (const from of PIPELINE_STATUSES) {
    for (const to of PIPELINE_STATUSES) {
      assert.equal(canTransition(from, to), allowed.has(`${from}>${to}`), `${from} -> ${to}`);
    }
  }
});

test('a terminal pipeline can only be restarted, never moved to another outcome', () => {
  for (const from of TERMINAL_STATUSES) {
    const targets = PIPELINE_STATUSES.filter((to) => canTransition(from, to));
    assert.deepEqual(targets, ['Queued']);
  }
  assert.deepEqual(
    PIPELINE_STATUSES.filter((s) => isTerminal(s)),
    ['Succeeded', 'Failed', 'Timeout', 'Cancelled'],
  );
});
