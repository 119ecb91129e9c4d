import { fileURLToPath } from 'node:url';
import { commonEnv, jobPolicyEnv, kubeEnv, opsPort, quotaEnv } from '@po/runtime';
import { z } from 'zod';

const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

/** Every variable the gateway reads; parsed once in main.ts. */
export const GatewayEnv = z.object({
  ...commonEnv,
  ...quotaEnv,
  ...jobPolicyEnv,
  K8S_NAMESPACE: kubeEnv.K8S_NAMESPACE,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** /metrics (and /health, /ready again) for Prometheus and probes, apart from the public API port. */
  OPS_PORT: opsPort(9100),
  /** When set, this bearer key is admin of tenant `default` (dev mode; the dev command prints it). */
  DEV_API_KEY: z.string().min(8).max(512).optional(),
  /**
   * Proxies (ingress, load balancer) in front of the gateway that append to X-Forwarded-For: the
   * client address (per-IP rate limit, audit) is the entry this many from the right. 0: no proxy, the
   * header is ignored (a client could write anything in it).
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(16).default(0),
  RATE_LIMIT_IP_PER_SECOND: int(1, 2000),
  RATE_LIMIT_IP_BURST: int(1, 4000),
  RATE_LIMIT_TENANT_PER_SECOND: int(1, 2000),
  RATE_LIMIT_TENANT_BURST: int(1, 4000),
  MAX_BODY_BYTES: int(1024, 64 * 1024),
  DB_POOL_MAX: int(1, 20),
  /**
   * Group commit of creates: at most CREATE_BATCH_MAX pipelines per insert statement (one commit),
   * CREATE_BATCH_IN_FLIGHT statements at once; a create that finds a statement slot free waits
   * CREATE_BATCH_LINGER_MS for others to join it (creates arriving while all slots are busy go in
   * the next statement without waiting).
   */
  CREATE_BATCH_MAX: int(1, 64),
  CREATE_BATCH_IN_FLIGHT: int(1, 4),
  CREATE_BATCH_LINGER_MS: int(0, 2),
  /** A non-streaming request taking longer is answered 408 Timeout. */
  REQUEST_TIMEOUT_MS: int(100, 30_000),
  /** Open `?follow=true` log streams per tenant in one gateway; more are answered 429. */
  SSE_MAX_FOLLOWERS_PER_TENANT: int(1, 20),
  /** A `: heartbeat` comment this often on a quiet log stream. */
  SSE_HEARTBEAT_SECONDS: int(1, 15),
  /** A log stream with no new line or status for this long ends (`event: idle`). */
  SSE_IDLE_TIMEOUT_SECONDS: int(1, 600),
  /** Grace period for in-flight requests and SSE streams on SIGTERM. */
  SHUTDOWN_GRACE_MS: int(0, 10_000),
  /** The web console's static build, served at /ui (default: this checkout's apps/console/dist). */
  CONSOLE_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../../console/dist', import.meta.url))),
  /** A trace UI base (e.g. Jaeger's http://localhost:16686): `GET /pipelines/{id}` then links to the trace. */
  TRACE_UI_URL: z.url().optional(),
});
export type GatewayConfig = z.infer<typeof GatewayEnv>;
