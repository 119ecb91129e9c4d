import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDue, deleteDue, unownedDeleteDue } from './decide.ts';

const at = new Date('2026-01-01T00:00:00Z');

test('create is due only for the current, admitted, unfinished attempt', () => {
  const admitted = { attempt: 2, status: 'Queued' as const, admitted_at: at };
  const open = { finished_at: null };
  const cases: [string, Parameters<typeof createDue>, boolean][] = [
    ['admitted, current', [admitted, open, 2], true],
    ['running (a repeat: AlreadyExists)', [{ ...admitted, status: 'Running' }, open, 2], true],
    ['no such pipeline (forged id)', [undefined, undefined, 1], false],
    ['an older attempt (replayed)', [admitted, open, 1], false],
    ['not admitted (a paused tenant’s queue)', [{ ...admitted, admitted_at: null }, undefined, 2], false],
    ['no attempt row', [admitted, undefined, 2], false],
    ['cancelled', [{ ...admitted, status: 'Cancelled' }, open, 2], false],
    ['attempt ended', [admitted, { finished_at: at }, 2], false],
  ];
  for (const [name, args, due] of cases) assert.equal(createDue(...args).due, due, name);
});

test('delete is due after the logs are stored, or when nothing wants the Job; never under a running attempt', () => {
  const running = { attempt: 1, status: 'Running' as const };
  const fresh = { logs_captured_at: null, job_deleted_at: null };
  const cases: [string, Parameters<typeof deleteDue>, boolean][] = [
    ['logs stored', [{ ...running, status: 'Succeeded' }, { ...fresh, logs_captured_at: at }, 1], true],
    ['forged, under a running attempt', [running, fresh, 1], false],
    ['forged, ended but logs not stored yet', [{ ...running, status: 'Failed' }, fresh, 1], false],
    ['orphan: no pipeline', [undefined, undefined, 1], true],
    ['orphan: never admitted attempt', [{ ...running, attempt: 3 }, undefined, 2], true],
    ['repeat after deletion', [running, { ...fresh, job_deleted_at: at }, 1], true],
  ];
  for (const [name, args, due] of cases) assert.equal(deleteDue(...args).due, due, name);
});

test('an unowned delete (no pipeline) takes only a managed Job that names no attempt, by labels or name', () => {
  const ours = { 'app.kubernetes.io/managed-by': 'pipeline-operator' };
  const cases: [string, Parameters<typeof unownedDeleteDue>[0], boolean][] = [
    ['managed-by label alone', { name: 'hand-made', labels: ours }, true],
    ['not ours', { name: 'hand-made', labels: { 'app.kubernetes.io/managed-by': 'helm' } }, false],
    ['no labels', { name: 'hand-made', labels: {} }, false],
    [
      'names a pipeline (its own path decides)',
      { name: 'x', labels: { ...ours, 'pipeline-operator.io/pipeline-id': 'p' } },
      false,
    ],
    ['names an attempt', { name: 'x', labels: { ...ours, 'pipeline-operator.io/attempt': '1' } }, false],
    [
      "a pipeline attempt's name",
      { name: 'pipeline-0b5f6a3e-9a43-4c55-9d6e-2d2b0c1c7f10-1', labels: ours },
      false,
    ],
  ];
  for (const [name, job, due] of cases) assert.equal(unownedDeleteDue(job).due, due, name);
});
