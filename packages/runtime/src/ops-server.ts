import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '@po/telemetry';

export type ReadinessChecks = Record<string, () => Promise<void>>;

/** Live facts /health reports beside the identity (e.g. a replica's role: leader or standby). */
export type HealthDetails = Record<string, () => string>;

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/** Who answers /health: the service, and the instance id it was given (if any). */
export interface Identity {
  service: string;
  instance?: string | undefined;
}

/** `/health` (alive, and who), `/ready` (every dependency check passes), `/metrics` (Prometheus). */
export async function startOpsServer(opts: {
  port: number;
  registry: Registry;
  checks: ReadinessChecks;
  identity: Identity;
  details?: HealthDetails;
}): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, { error: 'method not allowed' });
    if (path === '/health') {
      const details = Object.entries(opts.details ?? {}).map(([k, get]) => [k, get()] as const);
      return send(200, { status: 'ok', ...opts.identity, ...Object.fromEntries(details) });
    }
    if (path === '/ready') {
      void readiness(opts.checks).then(({ ok, checks }) =>
        send(ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks }),
      );
      return;
    }
    if (path === '/metrics') {
      void opts.registry.metrics().then((text) => send(200, text, opts.registry.contentType));
      return;
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '0.0.0.0', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function readiness(
  checks: ReadinessChecks,
): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await check();
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : String(err)] as const;
      }
    }),
  );
  return { ok: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
}
