import type { PipelineStatus } from './api.ts';

export const TERMINAL_STATUSES = [
  'Succeeded',
  'Failed',
  'Timeout',
  'Cancelled',
] as const satisfies readonly PipelineStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: PipelineStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly PipelineStatus[]).includes(status);
}

/**
 * The one state machine: for each target status, the statuses it may be entered from.
 * Running -> Queued is a retry; terminal -> Queued is a restart (a new attempt); Queued -> Queued
 * re-queues an admitted attempt whose Job was lost before it ran (a new attempt too).
 */
export const ALLOWED_FROM: Readonly<Record<PipelineStatus, readonly PipelineStatus[]>> = {
  Queued: ['Queued', 'Running', 'Succeeded', 'Failed', 'Timeout', 'Cancelled'],
  Running: ['Queued'],
  Succeeded: ['Running'],
  Failed: ['Queued', 'Running'],
  Timeout: ['Queued', 'Running'],
  Cancelled: ['Queued', 'Running'],
};

export function canTransition(from: PipelineStatus, to: PipelineStatus): boolean {
  return ALLOWED_FROM[to].includes(from);
}
