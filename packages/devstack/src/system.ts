import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const SERVICES = ['gateway', 'scheduler', 'job-runner', 'watcher', 'log-collector'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface SystemOptions {
  databaseUrl: string;
  natsUrl: string;
  /** Each service's own NATS identity (`NatsServer.service`); omitted: anonymous (an open server). */
  natsCredentials?: (service: ServiceName) => { user: string; password: string };
  busPrefix: string;
  kubeconfigPath: string;
  namespace: string;
  devApiKey: string;
  gatewayPort?: number;
  /** Extra environment for every service (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: Record<string, string>;
  /** Where each service's output goes: a directory for `<service>.log` files, or 'inherit' to prefix and print. */
  output: { dir: string } | 'inherit';
  logLevel?: string;
}

export interface RunningService {
  name: ServiceName;
  port: number;
  process: ChildProcess;
}

export interface System {
  gatewayUrl: string;
  services: Map<ServiceName, RunningService>;
  /** SIGTERM one service and wait for it to exit (fault tests); `start` brings it back. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  start(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the five services as separate processes and waits until each answers /ready. */
export async function startSystem(opts: SystemOptions): Promise<System> {
  const ports = new Map<ServiceName, number>();
  /** A free port none of this system's services has: the OS may hand out a just-closed one again. */
  const newPort = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (![...ports.values()].includes(port)) return port;
    }
  };
  for (const name of SERVICES)
    ports.set(name, name === 'gateway' && opts.gatewayPort ? opts.gatewayPort : await newPort());
  const services = new Map<ServiceName, RunningService>();
  const instances = new WeakMap<ChildProcess, string>();
  const logs: WriteStream[] = [];

  const envFor = (name: ServiceName, instance: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: opts.databaseUrl,
    NATS_URL: opts.natsUrl,
    ...(opts.natsCredentials
      ? { NATS_USER: opts.natsCredentials(name).user, NATS_PASSWORD: opts.natsCredentials(name).password }
      : {}),
    BUS_PREFIX: opts.busPrefix,
    KUBECONFIG: opts.kubeconfigPath,
    K8S_NAMESPACE: opts.namespace,
    LOG_LEVEL: opts.logLevel ?? 'info',
    DEV_API_KEY: opts.devApiKey,
    [name === 'gateway' ? 'PORT' : 'OPS_PORT']: String(ports.get(name)),
    // This process holds each service's stdin: if it dies, even by SIGKILL, the services stop too.
    STOP_WITH_PARENT: 'true',
    INSTANCE_ID: instance,
    ...opts.env,
  });

  /** Set when start-up failed: services still starting must not be started again. */
  let abandoned = false;
  /**
   * Starts a service and waits until it answers /ready on its port — itself, not another process
   * that took the port first: then it dies on EADDRINUSE and is started again on another port.
   */
  const start = async (name: ServiceName) => {
    for (let attempt = 1; ; attempt++) {
      if (abandoned) throw new Error(`${name} not started: the system is being torn down`);
      const child = spawnService(name);
      try {
        await waitReady(name, ports.get(name) ?? 0, child);
        return;
      } catch (err) {
        const exited = child.exitCode !== null || child.signalCode !== null;
        const pinned = name === 'gateway' && opts.gatewayPort !== undefined;
        if (abandoned || !exited || pinned || attempt === 3) throw err;
        ports.set(name, await newPort());
      }
    }
  };

  const spawnService = (name: ServiceName): ChildProcess => {
    const instance = randomUUID();
    const child = spawn(process.execPath, [`apps/${name}/src/main.ts`], {
      cwd: ROOT,
      env: envFor(name, instance),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    instances.set(child, instance);
    if (opts.output === 'inherit') {
      const tag = `[${name}] `;
      for (const stream of [child.stdout, child.stderr]) {
        let buf = '';
        stream.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) process.stdout.write(`${tag}${l}\n`);
        });
      }
    } else {
      const file = createWriteStream(`${opts.output.dir}/${name}.log`, { flags: 'a' });
      logs.push(file);
      child.stdout.pipe(file, { end: false });
      child.stderr.pipe(file, { end: false });
    }
    services.set(name, { name, port: ports.get(name) ?? 0, process: child });
    return child;
  };

  const kill = async (name: ServiceName, signal: NodeJS.Signals = 'SIGTERM') => {
    const svc = services.get(name);
    if (!svc || svc.process.exitCode !== null || svc.process.signalCode !== null)
      return svc?.process.exitCode ?? null;
    const exited = once(svc.process, 'exit');
    svc.process.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  };

  /** Polls until `child` itself answers /health (its instance id) and /ready on `port`. */
  async function waitReady(name: ServiceName, port: number, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    const instance = instances.get(child);
    let last = '';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
      try {
        const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
          instance?: string;
        };
        if (health.instance !== instance) {
          last = `port ${port} is answered by another process`;
        } else {
          const res = await fetch(`http://127.0.0.1:${port}/ready`);
          if (res.ok) return;
          last = `${res.status} ${await res.text()}`;
        }
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${name} not ready after 60s: ${last}`);
  }

  const starting = SERVICES.map(start);
  try {
    await Promise.all(starting);
  } catch (err) {
    abandoned = true;
    await Promise.all(SERVICES.map((n) => kill(n, 'SIGKILL')));
    await Promise.allSettled(starting); // each sees its process gone and gives up
    throw err;
  }
  return {
    // A getter: a restarted gateway may have moved to another port.
    get gatewayUrl() {
      return `http://127.0.0.1:${ports.get('gateway')}`;
    },
    services,
    kill,
    start,
    stop: async () => {
      await Promise.all(SERVICES.map((n) => kill(n)));
      for (const l of logs) l.end();
    },
  };
}
