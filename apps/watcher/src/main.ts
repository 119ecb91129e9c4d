// First (a bare import: never reordered): tracing starts before anything (@po/runtime) loads `pg`.
import './instrument.ts';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { commonEnv, kubeEnv, opsPort, parseConfig } from '@po/runtime';
import { z } from 'zod';
import { tracing } from './instrument.ts';

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);

const config = parseConfig(
  z
    .object({
      ...commonEnv,
      ...kubeEnv,
      OPS_PORT: opsPort(9103),
      /** An admitted attempt whose Job has not appeared this long is looked for on the API server. */
      WATCHER_JOB_APPEAR_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
      /** How many times such a Job is asked for again before the pipeline fails. */
      WATCHER_JOB_CREATE_REQUESTS: z.coerce.number().int().min(0).max(10).default(2),
      /** Level-triggered resync: the safety net for missed events and the clock of bounded waits. */
      WATCHER_RESYNC_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
      /** A managed Job naming no pipeline attempt (the managed-by label alone) is deleted once this old. */
      WATCHER_ORPHAN_GRACE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
      /** The Lease the watcher replicas elect their leader on (in K8S_NAMESPACE). */
      WATCHER_LEASE_NAME: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/)
        .max(253)
        .default('pipeline-operator-watcher'),
      // client-go's defaults; tests shorten them.
      WATCHER_LEASE_DURATION_SECONDS: seconds(15),
      WATCHER_RENEW_DEADLINE_SECONDS: seconds(10),
      WATCHER_RETRY_PERIOD_SECONDS: seconds(2),
    })
    .refine((c) => c.WATCHER_RENEW_DEADLINE_SECONDS < c.WATCHER_LEASE_DURATION_SECONDS, {
      path: ['WATCHER_RENEW_DEADLINE_SECONDS'],
      message: 'must be less than WATCHER_LEASE_DURATION_SECONDS',
    })
    .refine((c) => c.WATCHER_RETRY_PERIOD_SECONDS < c.WATCHER_RENEW_DEADLINE_SECONDS, {
      path: ['WATCHER_RETRY_PERIOD_SECONDS'],
      message: 'must be less than WATCHER_RENEW_DEADLINE_SECONDS',
    }),
  process.env,
);
// Unique among the replicas, as client-go advises: the host, and this process.
const identity = config.INSTANCE_ID ?? `${hostname()}_${randomUUID()}`;
const { runWatcher } = await import('./service.ts');
await runWatcher(config, tracing, identity);
