/**
 * A whole system for one test file: its own database, its own authenticated nats-server (the
 * infra/ configuration, each service with its own NATS user), kube-sim and the five services as
 * separate processes, all torn down afterwards.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { provision } from '@po/bus';
import {
  dropDatabase,
  type NatsServer,
  prepareDatabase,
  type System,
  type SystemOptions,
  startSystem,
} from '@po/devstack';
import { type KubeSim, type KubeSimOptions, startKubeSim } from '@po/kube-sim';
import { waitFor as poll } from '@po/testkit';
import { startPrivateNats } from './nats-server.ts';

/** Whole-system conditions take longer than a unit's: a minute's patience, polled every 100 ms. */
export const waitFor = <T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> => poll(what, probe, timeoutMs, 100);

export const NAMESPACE = 'pipelines';

export interface Stack {
  system: System;
  sim: KubeSim;
  kc: KubeConfig;
  batch: BatchV1Api;
  core: CoreV1Api;
  dir: string;
  apiKey: string;
  databaseUrl: string;
  natsUrl: string;
  /** The stack's own nats-server: credentials per service and tenant, stop/start for fault tests. */
  nats: NatsServer;
  busPrefix: string;
  api(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** How many times a Job of this name was ever created in the stack's namespace (kube-sim's creation log). */
export function jobsCreated(stack: Pick<Stack, 'sim'>, name: string): number {
  return stack.sim.creations.get(`jobs/${NAMESPACE}/${name}`) ?? 0;
}

export interface StackOptions {
  env?: Record<string, string>;
  /** Tenants to issue NATS users for at start (more with `stack.nats.addTenants`). */
  natsTenants?: string[];
  /** kube-sim's kubelet: real processes (default), or fast mode (pods end after a set time, no process). */
  sim?: Pick<KubeSimOptions, 'mode' | 'fast'>;
  /** Processes per service (default one each). */
  replicas?: SystemOptions['replicas'];
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const id = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), `po-e2e-${id}-`));
  // Workloads run as their non-root user: this is the directory they are given (inputs, outputs, gates).
  chmodSync(dir, 0o1777);
  const databaseUrl = `postgres://root@127.0.0.1:5432/po_e2e_${id}`;
  const busPrefix = `t${id}`;
  const apiKey = `key-${randomBytes(12).toString('hex')}`;
  await prepareDatabase(databaseUrl);
  const nats = await startPrivateNats(busPrefix, opts.natsTenants);
  const natsUrl = nats.url;
  const nc = await nats.connect(nats.service('provisioner'), 'e2e-provisioner');
  // A short ack wait so a killed service's unacknowledged messages come back within a test's patience.
  await provision(nc, busPrefix, { ackWaitMs: 5_000 });
  await nc.close();
  const sim = await startKubeSim({
    kubeconfigPath: join(dir, 'kubeconfig'),
    namespaces: ['default', NAMESPACE],
    workDir: dir,
    // kube-sim counts every create: "exactly one Job ever created" is read from it (jobsCreated).
    recordCreations: true,
    ...opts.sim,
  });
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  let system: System;
  try {
    system = await startSystem({
      databaseUrl,
      natsUrl,
      natsCredentials: (name) => nats.service(name),
      busPrefix,
      kubeconfigPath: join(dir, 'kubeconfig'),
      namespace: NAMESPACE,
      devApiKey: apiKey,
      output: { dir },
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.replicas ? { replicas: opts.replicas } : {}),
    });
  } catch (err) {
    await sim.stop();
    await nats.stop();
    throw new Error(`system did not start; service logs in ${dir}`, { cause: err });
  }
  return {
    system,
    sim,
    kc,
    batch: kc.makeApiClient(BatchV1Api),
    core: kc.makeApiClient(CoreV1Api),
    dir,
    apiKey,
    databaseUrl,
    natsUrl,
    nats,
    busPrefix,
    api: (path, init = {}) =>
      fetch(`${system.gatewayUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...init.headers },
      }),
    stop: async () => {
      await system.stop();
      await sim.stop();
      await nats.stop();
      await dropDatabase(databaseUrl);
    },
  };
}
