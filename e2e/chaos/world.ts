/**
 * The chaos suite's world: one database, one private nats-server, one kube-sim (mostly fast mode,
 * some real processes) and two replicas of every service, plus the faults it can inflict on them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { provision } from '@po/bus';
import {
  DEFAULT_RESTART_POLICY,
  dropDatabase,
  nextRestartDelay,
  prepareDatabase,
  type ServiceName,
  type System,
  startSystem,
} from '@po/devstack';
import { type KubeSim, startKubeSim } from '@po/kube-sim';
import pg from 'pg';
import { NAMESPACE } from '../fixture.ts';
import { type PrivateNats, startPrivateNats } from '../nats-server.ts';
import type { Fault } from './schedule.ts';

/** The application_name of the harness's own connections, which faults spare. */
const HARNESS = 'po-chaos-harness';

export interface World {
  systems: System[];
  sim: KubeSim;
  nats: PrivateNats;
  batch: BatchV1Api;
  core: CoreV1Api;
  db: pg.Pool;
  dir: string;
  apiKey: string;
  /** A request to the API through any gateway replica that is up, as a client behind a Service. */
  api(path: string, init?: RequestInit): Promise<Response>;
  inflict(fault: Fault): Promise<void>;
  stop(): Promise<void>;
}

/** The chaos workload: fast mode unless its config says `process`, then a real process. */
export const CHAOS_SCRIPT = `
import os, sys, time
print("chaos run", flush=True)
time.sleep(int(os.environ["CHAOS_DURATION_MS"]) / 1000)
print("chaos done", flush=True)
sys.exit(int(os.environ["CHAOS_EXIT_CODE"]))
`;

export async function startWorld(replicas: number): Promise<World> {
  const id = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), `po-chaos-${id}-`));
  const databaseUrl = `postgres://root@127.0.0.1:5432/po_chaos_${id}`;
  const busPrefix = `c${id}`;
  const apiKey = `key-${randomBytes(12).toString('hex')}`;
  await prepareDatabase(databaseUrl);
  /** Jobs of the evict scenario whose first pod has started. */
  const evictionTargets = new Set<string>();
  const nats = await startPrivateNats(busPrefix);
  const nc = await nats.connect(nats.service('provisioner'), 'chaos-provisioner');
  await provision(nc, busPrefix, { ackWaitMs: 5_000 });
  await nc.close();
  const sim = await startKubeSim({
    kubeconfigPath: join(dir, 'kubeconfig'),
    namespaces: ['default', NAMESPACE],
    workDir: dir,
    recordCreations: true,
    podBackoffMs: 100,
    fastFor: (pod, c) => {
      const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
      const mode = env.get('CHAOS_MODE');
      if (mode !== 'fast' && mode !== 'evict') return undefined;
      // An evict scenario's first pod runs until the test evicts it; its replacement runs as set.
      const job = pod.metadata.labels?.['batch.kubernetes.io/job-name'] ?? '';
      const first = mode === 'evict' && !evictionTargets.has(job);
      if (first) evictionTargets.add(job);
      return {
        durationMs: first ? 600_000 : Number(env.get('CHAOS_DURATION_MS')),
        exitCode: Number(env.get('CHAOS_EXIT_CODE')),
        log: 'chaos run',
      };
    },
  });
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const systems: System[] = [];
  try {
    for (let r = 0; r < replicas; r++)
      systems.push(
        await startSystem({
          databaseUrl,
          natsUrl: nats.url,
          natsCredentials: (name) => nats.service(name),
          busPrefix,
          kubeconfigPath: join(dir, 'kubeconfig'),
          namespace: NAMESPACE,
          devApiKey: apiKey,
          output: { dir: mkdtempSync(join(dir, `replica-${r}-`)) },
          env: {
            TENANT_MAX_RUNNING: '200',
            SCHEDULER_MAX_RUNNING: '200',
            // A killed leader's lease is taken over within seconds, not client-go's 15.
            WATCHER_LEASE_DURATION_SECONDS: '6',
            WATCHER_RENEW_DEADLINE_SECONDS: '4',
            WATCHER_RETRY_PERIOD_SECONDS: '1',
          },
        }),
      );
  } catch (err) {
    await Promise.all(systems.map((s) => s.stop()));
    await sim.stop();
    await nats.stop();
    throw new Error(`chaos system did not start; logs in ${dir}`, { cause: err });
  }
  // The fault targets the services' connections, never the harness's own: two
  // overlapping pg-terminate faults would otherwise kill each other's query.
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4, application_name: HARNESS });
  db.on('error', () => {});

  /**
   * Starts a killed service again as its supervisor would (a Deployment, the dev launcher): a service
   * fails fast when a dependency is down at start-up (NATS in the middle of its own outage fault), and
   * is started again with the same backoff until it is ready — what counts is that it comes back.
   */
  const restartSupervised = async (system: System, service: ServiceName, key: string) => {
    let delayMs = 0;
    for (let tries = 1; ; tries++) {
      try {
        return await system.start(service);
      } catch (err) {
        const early = err instanceof Error && /before it was ready/.test(err.message);
        if (stopping || !early || tries >= 8) throw err;
        delayMs = nextRestartDelay(DEFAULT_RESTART_POLICY, delayMs, 0);
        process.stdout.write(`chaos: ${key} ${err.message}; started again in ${delayMs} ms\n`);
        await delay(delayMs);
      }
    }
  };

  /** Each replica of each service is killed and restarted one fault at a time. */
  const serial = new Map<string, Promise<void>>();
  const api = async (path: string, init: RequestInit = {}): Promise<Response> => {
    let last: unknown;
    for (const s of [...systems].sort(() => Math.random() - 0.5)) {
      try {
        return await fetch(`${s.gatewayUrl}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
          signal: AbortSignal.timeout(10_000),
        });
      } catch (err) {
        last = err; // this replica is down: the Service would route to another
      }
    }
    throw new Error('no gateway replica answered', { cause: last });
  };

  let stopping = false;
  const inflict = async (f: Fault): Promise<void> => {
    if (stopping) return;
    switch (f.kind) {
      case 'kill': {
        const key = `${f.service}#${f.replica}`;
        const system = systems[f.replica];
        if (!system) return;
        const run = (serial.get(key) ?? Promise.resolve()).then(async () => {
          if (stopping) return;
          await system.kill(f.service, 'SIGKILL');
          await delay(f.downMs);
          if (!stopping) await restartSupervised(system, f.service, key);
        });
        serial.set(key, run);
        return run;
      }
      case 'nats-restart': {
        // One outage at a time: overlapping restarts queue, as the kills of one replica do.
        const run = (serial.get('nats') ?? Promise.resolve()).then(async () => {
          if (stopping) return;
          await nats.stop();
          await delay(f.downMs);
          await nats.start();
        });
        serial.set('nats', run);
        return run;
      }
      case 'pg-terminate':
        await db.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and application_name <> $1`,
          [HARNESS],
        );
        return;
      case 'kube-errors': {
        const remove = sim.faults.add({
          status: f.status,
          rate: f.rate,
          ...(f.status === 429 ? { retryAfterSeconds: 1 } : {}),
        });
        await delay(f.forMs);
        remove();
        return;
      }
      case 'watch-cut': {
        const remove = sim.faults.cutWatches({ afterMs: 300, times: 20 });
        await delay(2_000);
        remove();
        return;
      }
      case 'watch-gone':
        sim.faults.forceGone();
        return;
      case 'kube-restart':
        await sim.restart();
        return;
    }
  };

  return {
    systems,
    sim,
    nats,
    batch: kc.makeApiClient(BatchV1Api),
    core: kc.makeApiClient(CoreV1Api),
    db,
    dir,
    apiKey,
    api,
    inflict,
    stop: async () => {
      stopping = true;
      await Promise.allSettled(serial.values());
      await Promise.all(systems.map((s) => s.stop()));
      await sim.stop();
      await db.end();
      await nats.stop();
      await dropDatabase(databaseUrl);
    },
  };
}
