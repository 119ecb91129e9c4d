// The pure half of leader election (client-go's tryAcquireOrRenew): given the Lease as last read,
// when this candidate first saw that version, and the time, what to write — or to wait.
import type { V1LeaseSpec } from '@kubernetes/client-node';
import { V1MicroTime } from './client-node.ts';

/** What the candidate has seen of the Lease: its spec, and when (local clock) that version first appeared. */
export interface Observed {
  spec: V1LeaseSpec;
  /** The spec's JSON: a change, even of renewTime alone, restarts the expiry clock. */
  raw: string;
  atMs: number;
}

export type LeaseStep =
  /** Write this spec (create when there is no Lease yet, else update at the read resourceVersion). */
  | { kind: 'write'; spec: V1LeaseSpec; acquiring: boolean }
  /** Someone else holds a valid lease: stay a candidate. */
  | { kind: 'wait'; holder: string };

/**
 * Expiry is measured on the candidate's own clock from when it first saw the current version of the
 * record, never from the holder's renewTime, so clock skew between replicas cannot shorten a lease.
 */
export function planLeaseWrite(
  current: V1LeaseSpec | undefined,
  observed: Observed | undefined,
  nowMs: number,
  identity: string,
  leaseDurationSeconds: number,
): LeaseStep {
  // Serialised as the API server's MicroTime: UTC, six fractional digits.
  const now = new V1MicroTime(nowMs);
  if (!current) {
    return {
      kind: 'write',
      acquiring: true,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      },
    };
  }
  const holder = current.holderIdentity ?? '';
  const held = holder !== '' && holder !== identity;
  const durationMs = (current.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  const since = observed?.atMs ?? nowMs;
  if (held && since + durationMs > nowMs) return { kind: 'wait', holder };
  const renewing = holder === identity;
  return {
    kind: 'write',
    acquiring: !renewing,
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: renewing ? (current.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: (current.leaseTransitions ?? 0) + (renewing ? 0 : 1),
    },
  };
}

/** Next version of `observed` after reading `spec` at `nowMs`. */
export function observe(observed: Observed | undefined, spec: V1LeaseSpec, nowMs: number): Observed {
  const raw = JSON.stringify(spec);
  return observed?.raw === raw ? observed : { spec, raw, atMs: nowMs };
}
