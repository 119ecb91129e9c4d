// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: candidates try to
// acquire every retryPeriod; the leader renews every retryPeriod and steps down when it has not
// renewed for renewDeadline (shorter than leaseDuration, so it stops before anyone may take over);
// a stopping leader releases the Lease (empty holderIdentity) so a standby takes over at once.
import type { KubeConfig, V1Lease } from '@kubernetes/client-node';
import { httpStatusOf, isNotFound } from './errors.ts';
import { kubeJson, resourcePath } from './http.ts';
import { type LeaseStep, type Observed, observe, planLeaseWrite } from './lease-record.ts';
import type { Logger } from './logger.ts';

export interface LeaderElectionTiming {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's defaults. */
export const DEFAULT_LEADER_ELECTION: LeaderElectionTiming = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export interface LeaderElectionOptions extends LeaderElectionTiming {
  kc: KubeConfig;
  namespace: string;
  /** The Lease's name: one per group of replicas. */
  name: string;
  /** This replica's identity, unique among the candidates. */
  identity: string;
  logger: Logger;
  /** Called once leadership is acquired; start the work without blocking (renewals go on meanwhile). */
  onStartedLeading: () => void;
  /** Called when leadership ends (lost, or stop()); resolves once no more decisions will be made. */
  onStoppedLeading: () => Promise<void>;
  now?: () => number;
}

export interface LeaderElection {
  /** True while this replica holds the Lease. */
  readonly leading: boolean;
  /** The holder last seen ('' when none). */
  readonly leader: string;
  /** Steps down (onStoppedLeading, then release of the Lease) and stops competing. */
  stop(): Promise<void>;
}

type Attempt = 'held' | 'other' | 'failed';

export function startLeaderElection(opts: LeaderElectionOptions): LeaderElection {
  if (opts.renewDeadlineMs >= opts.leaseDurationMs) {
    throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
  }
  if (opts.retryPeriodMs >= opts.renewDeadlineMs) {
    throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
  }
  const leases = resourcePath('leases', opts.namespace);
  const leasePath = resourcePath('leases', opts.namespace, opts.name);
  /** The Lease as the API server's JSON (http.ts); its MicroTimes stay strings, as client-node's models left them. */
  const api = {
    read: () => kubeJson<V1Lease>(opts.kc, 'GET', leasePath),
    replace: (body: V1Lease) => kubeJson<V1Lease>(opts.kc, 'PUT', leasePath, body),
    create: (body: V1Lease) => kubeJson<V1Lease>(opts.kc, 'POST', leases, body),
  };
  const now = opts.now ?? Date.now;
  const log = opts.logger;
  const durationSeconds = Math.max(1, Math.round(opts.leaseDurationMs / 1000));
  let observed: Observed | undefined;
  /** The Lease as this replica last read or wrote it (its resourceVersion makes writes conditional). */
  let lease: V1Lease | undefined;
  let leading = false;
  let stopped = false;
  let wake: () => void = () => {};

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** A call that may hang (a stalled connection) must not hold leadership past its deadline. */
  const within = <T>(p: Promise<T>, ms: number): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lease request took over ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  };

  const tryAcquireOrRenew = async (budgetMs: number): Promise<Attempt> => {
    try {
      let current: V1Lease | undefined;
      try {
        current = await within(api.read(), budgetMs);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (current?.spec) observed = observe(observed, current.spec, now());
      const step: LeaseStep = planLeaseWrite(current?.spec, observed, now(), opts.identity, durationSeconds);
      if (step.kind === 'wait') return 'other';
      const body: V1Lease = current
        ? { ...current, spec: step.spec }
        : { metadata: { name: opts.name, namespace: opts.namespace }, spec: step.spec };
      lease = await within(current ? api.replace(body) : api.create(body), budgetMs);
      if (lease.spec) observed = observe(observed, lease.spec, now());
      return 'held';
    } catch (err) {
      // 409: another candidate wrote first (a stale resourceVersion, or it created the Lease).
      if (httpStatusOf(err) === 409) return 'failed';
      log.warn({ err, lease: opts.name }, 'lease read or write failed');
      return 'failed';
    }
  };

  const release = async () => {
    if (!lease?.spec || lease.spec.holderIdentity !== opts.identity) return;
    try {
      await within(
        api.replace({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } }),
        opts.renewDeadlineMs,
      );
      log.info({ lease: opts.name }, 'lease released');
    } catch (err) {
      // Someone else already holds it, or the API is down: the Lease then expires on its own.
      log.warn({ err, lease: opts.name }, 'lease not released');
    }
  };

  const lead = async () => {
    leading = true;
    log.info({ lease: opts.name, identity: opts.identity }, 'became leader');
    opts.onStartedLeading();
    let renewedAt = now();
    while (!stopped) {
      await sleep(opts.retryPeriodMs);
      if (stopped) break;
      const left = opts.renewDeadlineMs - (now() - renewedAt);
      const r = left > 0 ? await tryAcquireOrRenew(left) : 'failed';
      if (r === 'held') renewedAt = now();
      else if (r === 'other' || now() - renewedAt >= opts.renewDeadlineMs) {
        log.warn(
          { lease: opts.name, holder: observed?.spec.holderIdentity ?? '' },
          r === 'other' ? 'leadership taken by another replica' : 'lease not renewed within renewDeadline',
        );
        break;
      }
    }
    leading = false;
    await opts.onStoppedLeading();
  };

  const run = async () => {
    while (!stopped) {
      const r = await tryAcquireOrRenew(opts.renewDeadlineMs);
      if (stopped) break;
      if (r === 'held') {
        await lead();
        continue;
      }
      // Jitter keeps candidates from racing in lockstep.
      await sleep(opts.retryPeriodMs * (1 + Math.random() * 0.2));
    }
    await release();
  };

  const running = run().catch((err: unknown) => log.error({ err }, 'leader election stopped'));
  return {
    get leading() {
      return leading;
    },
    get leader() {
      return observed?.spec.holderIdentity ?? '';
    },
    stop: async () => {
      stopped = true;
      wake();
      await running;
    },
  };
}
