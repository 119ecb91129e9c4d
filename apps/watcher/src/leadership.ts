// The watcher's replicas elect one leader on a Lease; only the leader runs the informers-driven
// reconcile. Each leadership term starts the watching part afresh (new informers, new caches) and
// stops it before the Lease is released or given up, so two replicas never decide at once.
import type { KubeConfig } from '@po/kube';
import { type LeaderElectionTiming, startLeaderElection } from '@po/kube';
import type { Logger, Metrics } from '@po/telemetry';

/** One leadership term's watching: `synced` resolves once it decides from a full picture. */
export interface Term {
  synced: Promise<void>;
  stop(): Promise<void>;
}

export interface LeadershipOptions extends LeaderElectionTiming {
  kc: KubeConfig;
  namespace: string;
  leaseName: string;
  identity: string;
  logger: Logger;
  startTerm: () => Term;
}

export interface Leadership {
  role(): 'leader' | 'standby';
  /** Ready: a leader once its term has synced; a standby once it knows who leads. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

export function startLeadership(opts: LeadershipOptions): Leadership {
  let term: Term | undefined;
  let synced = false;
  const election = startLeaderElection({
    kc: opts.kc,
    namespace: opts.namespace,
    name: opts.leaseName,
    identity: opts.identity,
    logger: opts.logger,
    leaseDurationMs: opts.leaseDurationMs,
    renewDeadlineMs: opts.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs,
    onStartedLeading: () => {
      const t = opts.startTerm();
      term = t;
      void t.synced.then(
        () => {
          if (term === t) synced = true;
        },
        (err: unknown) => opts.logger.error({ err }, 'watching did not start'),
      );
    },
    onStoppedLeading: async () => {
      const t = term;
      term = undefined;
      synced = false;
      await t?.stop();
      opts.logger.info('stopped watching: no longer the leader');
    },
  });
  return {
    role: () => (election.leading ? 'leader' : 'standby'),
    ready: async () => {
      if (election.leading) {
        if (!synced) throw new Error('informers not synced');
        return;
      }
      if (election.leader === '' || election.leader === opts.identity) throw new Error('no leader known yet');
    },
    stop: () => election.stop(),
  };
}

/**
 * Each term builds its components anew; their metrics must be registered once per process, so
 * the same name returns the same metric.
 */
export function registerOnce(metrics: Metrics): Metrics {
  const seen = new Map<string, unknown>();
  const once = <K extends keyof Metrics>(kind: K): Metrics[K] =>
    ((name: string, ...rest: unknown[]) => {
      const key = `${kind}:${name}`;
      if (!seen.has(key)) seen.set(key, (metrics[kind] as (...a: unknown[]) => unknown)(name, ...rest));
      return seen.get(key);
    }) as Metrics[K];
  return { ...metrics, counter: once('counter'), histogram: once('histogram'), gauge: once('gauge') };
}
