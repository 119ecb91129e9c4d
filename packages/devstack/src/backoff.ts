/**
 * A Deployment-like restart policy for a supervised process: wait `initialMs` before the first
 * restart, doubling each time up to `maxMs`; a process that stayed up `resetAfterMs` starts over.
 */
export interface RestartPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

/** The delay before the next restart, given the previous one (0: none yet) and how long the process ran. */
export function nextRestartDelay(policy: RestartPolicy, previousMs: number, upMs: number): number {
  if (previousMs === 0 || upMs >= policy.resetAfterMs) return policy.initialMs;
  return Math.min(policy.maxMs, previousMs * 2);
}
