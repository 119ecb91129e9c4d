import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../env.ts';

export type ReadinessChecks = Record<string, () => Promise<void>>;

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['ops'],
  summary: 'Liveness',
  responses: {
    200: {
      content: {
        'application/json': {
          schema: z.object({ status: z.string(), service: z.string(), instance: z.string().optional() }),
        },
      },
      description: 'alive, and which process answers',
    },
  },
});

const ReadyBody = z.object({ status: z.string(), checks: z.record(z.string(), z.string()) });
const ready = createRoute({
  method: 'get',
  path: '/ready',
  tags: ['ops'],
  summary: 'Readiness: Postgres and NATS reachable',
  responses: {
    200: { content: { 'application/json': { schema: ReadyBody } }, description: 'ready' },
    503: { content: { 'application/json': { schema: ReadyBody } }, description: 'not ready' },
  },
});

async function runChecks(checks: ReadinessChecks, timeoutMs: number) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : String(err)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ok: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
}

export function registerHealthRoutes(
  app: App,
  d: { checks: ReadinessChecks; instance?: string | undefined },
): void {
  app.openapi(health, (c) =>
    c.json({ status: 'ok', service: 'gateway', ...(d.instance ? { instance: d.instance } : {}) }, 200),
  );
  app.openapi(ready, async (c) => {
    const r = await runChecks(d.checks, 2000);
    return c.json({ status: r.ok ? 'ready' : 'not ready', checks: r.checks }, r.ok ? 200 : 503);
  });
}
