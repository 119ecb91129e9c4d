// First (a bare import: never reordered): tracing starts before anything (@po/runtime) loads `pg`.
import './instrument.ts';
import { commonEnv, jobPolicyEnv, kubeEnv, opsPort, parseConfig } from '@po/runtime';
import { z } from 'zod';
import { tracing } from './instrument.ts';

const config = parseConfig(
  z.object({
    ...commonEnv,
    ...kubeEnv,
    OPS_PORT: opsPort(9102),
    /** The same image allow-list (whole repositories) the gateway checks at create time. */
    JOB_IMAGE_ALLOW_LIST: jobPolicyEnv.JOB_IMAGE_ALLOW_LIST,
    JOB_MAX_CPU: z.string().default('4'),
    JOB_MAX_MEMORY: z.string().default('8Gi'),
    /** A safety net only: normal cleanup deletes Jobs as soon as their logs are stored. */
    JOB_TTL_SECONDS_AFTER_FINISHED: z.coerce.number().int().min(60).default(86_400),
    JOB_RUNNER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  }),
  process.env,
);
const { runJobRunner } = await import('./service.ts');
await runJobRunner(config, tracing);
