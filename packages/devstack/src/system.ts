import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, readdirSync, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serviceNodeFlags } from '@po/runtime/node-flags';
import { warm } from '@po/runtime/ts-cache';
import { DEFAULT_RESTART_POLICY, nextRestartDelay, type RestartPolicy } from './backoff.ts';
import { freePort } from './ports.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * The services' TypeScript, stripped once (TS_CACHE_DIR, @po/runtime/ts-cache): a service then
 * never loads Node's TypeScript stripper (~19 MiB RSS each; docs/BENCHMARKS.md).
 */
const TS_CACHE_DIR = `${ROOT}node_modules/.cache/ts-cache`;
/**
 * How a service's node runs: the stripped-TypeScript cache (the image preloads the same hooks in
 * NODE_OPTIONS, infra/Dockerfile), then the service's own flags from
 * packages/runtime/src/node-flags.conf — the file the image's run-service.sh reads too, so devstack,
 * the manifests and the compose file run every service alike (V8 heap sizing; docs/BENCHMARKS.md).
 */
export const serviceNodeArgs = (name: ServiceName): string[] => [
  `--import=${ROOT}packages/runtime/src/ts-cache-hooks.mjs`,
  ...serviceNodeFlags(name),
];

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
  /** The gateway's port (its first replica's). */
  gatewayPort?: number;
  /** Extra environment for every service (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: Record<string, string>;
  /** Where each service's output goes: a directory for `<service>.log` files, or 'inherit' to prefix and print. */
  output: { dir: string } | 'inherit';
  logLevel?: string;
  /** Processes per service (default 1), each with its own port and INSTANCE_ID. */
  replicas?: Partial<Record<ServiceName, number>>;
  /** The services to start (default all five). */
  services?: readonly ServiceName[];
  /**
   * Restart a replica that exits on its own (not through kill() or stop()), with backoff, as a
   * Deployment would; `true` for the default policy (0.5 s doubling to 30 s, reset after a minute up).
   */
  supervise?: boolean | RestartPolicy;
  /** Where supervision reports exits and restarts (default stderr). */
  log?: (line: string) => void;
}

export interface RunningService {
  name: ServiceName;
  /** 0 for the first replica. */
  replica: number;
  /** Its HTTP port: the gateway's API port, another service's ops port. */
  port: number;
  /** Where it serves /metrics, /health and /ready (the gateway's OPS_PORT; the others' only port). */
  opsPort: number;
  process: ChildProcess;
  /** The INSTANCE_ID it was started with (its /health reports it). */
  instance: string;
}

export interface System {
  /** The first gateway replica's URL. */
  gatewayUrl: string;
  /** Every gateway replica's URL. */
  gatewayUrls: string[];
  /** The first replica of each service. */
  services: Map<ServiceName, RunningService>;
  /** Every replica of each service, by replica number. */
  replicas: Map<ServiceName, RunningService[]>;
  /** Stop one replica (default the first) with a signal and wait for it to exit; `start` brings it back. */
  kill(name: ServiceName, signal?: NodeJS.Signals, replica?: number): Promise<number | null>;
  start(name: ServiceName, replica?: number): Promise<void>;
  stop(): Promise<void>;
}

/** One replica's place in the system: its port, its current process, its restart state. */
interface Slot {
  name: ServiceName;
  replica: number;
  port: number;
  /** The gateway's ops port (0 for the other services, whose only port is their ops port). */
  opsPort: number;
  current: RunningService | undefined;
  /** Stopped on purpose (kill/stop): not restarted. */
  held: boolean;
  restarts: number;
  delayMs: number;
  timer: NodeJS.Timeout | undefined;
}

/** Each app's and package's `src`: what a service may load. */
const sourceRoots = (): string[] =>
  ['apps', 'packages'].flatMap((top) =>
    readdirSync(`${ROOT}${top}`, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`${ROOT}${top}/${d.name}/src`))
      .map((d) => `${ROOT}${top}/${d.name}/src`),
  );

const tagOf = (s: { name: ServiceName; replica: number }) =>
  s.replica === 0 ? s.name : `${s.name}#${s.replica}`;

/** Starts the services as separate processes (replicas included) and waits until each answers /ready. */
export async function startSystem(opts: SystemOptions): Promise<System> {
  const names = opts.services ?? SERVICES;
  const policy = opts.supervise === true ? DEFAULT_RESTART_POLICY : opts.supervise || undefined;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const slots: Slot[] = [];
  /** A free port none of this system's services has: the OS may hand out a just-closed one again. */
  const newPort = async (): Promise<number> => {
    for (;;) {
      const port = await freePort();
      if (!slots.some((s) => s.port === port || s.opsPort === port)) return port;
    }
  };
  for (const name of names) {
    for (let replica = 0; replica < (opts.replicas?.[name] ?? 1); replica++) {
      const pinned = name === 'gateway' && replica === 0 ? opts.gatewayPort : undefined;
      const slot: Slot = {
        name,
        replica,
        port: 0,
        opsPort: 0,
        current: undefined,
        held: false,
        restarts: 0,
        delayMs: 0,
        timer: undefined,
      };
      slot.port = pinned ?? (await newPort());
      if (name === 'gateway') slot.opsPort = await newPort();
      slots.push(slot);
    }
  }
  const slotOf = (name: ServiceName, replica = 0): Slot => {
    const slot = slots.find((s) => s.name === name && s.replica === replica);
    if (!slot) throw new Error(`${name} has no replica ${replica} in this system`);
    return slot;
  };
  const services = new Map<ServiceName, RunningService>();
  const replicas = new Map<ServiceName, RunningService[]>();
  const logs: WriteStream[] = [];
  let stopping = false;

  const envFor = (name: ServiceName, instance: string, port: number, opsPort: number): NodeJS.ProcessEnv => ({
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
    ...(name === 'gateway' ? { PORT: String(port), OPS_PORT: String(opsPort) } : { OPS_PORT: String(port) }),
    // This process holds each service's stdin: if it dies, even by SIGKILL, the services stop too.
    STOP_WITH_PARENT: 'true',
    INSTANCE_ID: instance,
    TS_CACHE_DIR,
    ...opts.env,
  });

  /** Set when start-up failed: services still starting must not be started again. */
  let abandoned = false;
  /**
   * Starts a replica and waits until it answers /ready on its port — itself, not another process
   * that took the port first: then it dies on EADDRINUSE and is started again on another port.
   */
  const startSlot = async (slot: Slot) => {
    for (let attempt = 1; ; attempt++) {
      if (abandoned || stopping) throw new Error(`${tagOf(slot)} not started: the system is being torn down`);
      const svc = spawnService(slot);
      try {
        await waitReady(svc);
        supervise(slot, svc);
        return;
      } catch (err) {
        const exited = svc.process.exitCode !== null || svc.process.signalCode !== null;
        const pinned = slot.name === 'gateway' && slot.replica === 0 && opts.gatewayPort !== undefined;
        if (abandoned || stopping || !exited || pinned || attempt === 3) throw err;
        slot.port = await newPort();
        if (slot.name === 'gateway') slot.opsPort = await newPort();
      }
    }
  };

  const spawnService = (slot: Slot): RunningService => {
    const instance = randomUUID();
    const { name } = slot;
    const child = spawn(process.execPath, [...serviceNodeArgs(name), `apps/${name}/src/main.ts`], {
      cwd: ROOT,
      env: envFor(name, instance, slot.port, slot.opsPort),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (opts.output === 'inherit') {
      const tag = `[${tagOf(slot)}] `;
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
      const file = slot.replica === 0 ? `${name}.log` : `${name}-${slot.replica}.log`;
      const out = createWriteStream(`${opts.output.dir}/${file}`, { flags: 'a' });
      logs.push(out);
      child.stdout.pipe(out, { end: false });
      child.stderr.pipe(out, { end: false });
    }
    const svc: RunningService = {
      name,
      replica: slot.replica,
      port: slot.port,
      opsPort: slot.name === 'gateway' ? slot.opsPort : slot.port,
      process: child,
      instance,
    };
    slot.current = svc;
    if (slot.replica === 0) services.set(name, svc);
    const list = replicas.get(name) ?? [];
    list[slot.replica] = svc;
    replicas.set(name, list);
    return svc;
  };

  /** Restarts the replica if its process exits on its own (once it had been ready). */
  const supervise = (slot: Slot, svc: RunningService) => {
    if (!policy) return;
    const readyAt = Date.now();
    svc.process.once('exit', (code, signal) => {
      if (stopping || slot.held || slot.current !== svc) return;
      const upMs = Date.now() - readyAt;
      slot.delayMs = nextRestartDelay(policy, slot.delayMs, upMs);
      scheduleRestart(slot, `exited (${code ?? signal}) after ${(upMs / 1000).toFixed(1)} s`);
    });
  };

  const scheduleRestart = (slot: Slot, why: string) => {
    slot.restarts++;
    log(`[devstack] ${tagOf(slot)} ${why}; restart #${slot.restarts} in ${slot.delayMs} ms`);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void startSlot(slot).then(
        () =>
          log(`[devstack] ${tagOf(slot)} restarted (instance ${slot.current?.instance}, port ${slot.port})`),
        (err: unknown) => {
          if (stopping || slot.held || !policy) return;
          slot.delayMs = nextRestartDelay(policy, slot.delayMs, 0);
          scheduleRestart(slot, `did not start (${err instanceof Error ? err.message : String(err)})`);
        },
      );
    }, slot.delayMs);
  };

  const killSlot = async (slot: Slot, signal: NodeJS.Signals = 'SIGTERM') => {
    slot.held = true;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const child = slot.current?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  };

  /** Polls until the replica itself answers /health (its instance id) and /ready on its port. */
  async function waitReady(svc: RunningService): Promise<void> {
    const deadline = Date.now() + 60_000;
    const { process: child, port } = svc;
    let last = '';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${tagOf(svc)} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
      try {
        const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
          instance?: string;
        };
        if (health.instance !== svc.instance) {
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
    throw new Error(`${tagOf(svc)} not ready after 60s: ${last}`);
  }

  // Every service's TypeScript stripped before the first starts (only files not yet cached).
  warm(TS_CACHE_DIR, sourceRoots());
  const starting = slots.map(startSlot);
  try {
    await Promise.all(starting);
  } catch (err) {
    abandoned = true;
    await Promise.all(slots.map((s) => killSlot(s, 'SIGKILL')));
    await Promise.allSettled(starting); // each sees its process gone and gives up
    throw err;
  }
  const gatewayUrlOf = (s: Slot) => `http://127.0.0.1:${s.port}`;
  return {
    // Getters: a restarted gateway may have moved to another port.
    get gatewayUrl() {
      return gatewayUrlOf(slotOf('gateway'));
    },
    get gatewayUrls() {
      return slots.filter((s) => s.name === 'gateway').map(gatewayUrlOf);
    },
    services,
    replicas,
    kill: (name, signal, replica) => killSlot(slotOf(name, replica), signal),
    start: async (name, replica) => {
      const slot = slotOf(name, replica);
      slot.held = false;
      clearTimeout(slot.timer);
      await startSlot(slot);
    },
    stop: async () => {
      stopping = true;
      await Promise.all(slots.map((s) => killSlot(s)));
      for (const l of logs) l.end();
    },
  };
}
