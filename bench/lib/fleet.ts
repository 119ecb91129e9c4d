/**
 * Many pipelines running at once, for the scale benches (issue 14, goals 5–6): the five services as
 * processes (quotas raised so nothing waits for a slot), a nats-server of the bench's own, a fresh
 * database, and kube-sim in fast mode with long pods (an hour) that the bench ends on demand
 * (KubeSim.finishPod). Pipelines go in through the gateway and reach Running through the whole
 * system — scheduler, job-runner, Jobs in kube-sim, the watcher's informers — as in production.
 * The system under test comes from PO_SUT_ROOT when set (bench/lib/sut.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '@po/devstack';
import { type KubeSim, startKubeSim } from '@po/kube-sim';
import { startBenchNats } from './nats-server.ts';
import { bus, devstack, loadContracts, db as sutDb } from './sut.ts';

const { LABEL_PIPELINE_ID, MANAGED_SELECTOR } = await loadContracts();

export const NAMESPACE = 'pipelines';
/** Long enough never to end by itself during a bench; setTimeout caps durations at ~24.8 days. */
const POD_MS = 3_600_000;

export interface FleetOptions {
  /** How many pipelines the quotas must let run at once. */
  capacity: number;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** The services to start (default all five). */
  services?: readonly ServiceName[];
}

export interface RunningPod {
  name: string;
  pipelineId: string;
}

export type Fleet = Awaited<ReturnType<typeof startFleet>>;

export async function startFleet(opts: FleetOptions) {
  const id = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), `po-bench-fleet-${id}-`));
  const databaseUrl = `postgres://root@127.0.0.1:5432/po_bench_fleet_${id}`;
  const busPrefix = `f${id}`;
  const apiKey = `bench-${randomBytes(8).toString('hex')}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  const quota = String(opts.capacity + 100);

  await devstack.prepareDatabase(databaseUrl);
  const nats = await startBenchNats();
  const nc = await bus.connectNats({ servers: nats.url, name: 'bench-fleet' });
  await bus.provision(nc, busPrefix);
  const sim: KubeSim = await startKubeSim({
    kubeconfigPath,
    namespaces: ['default', NAMESPACE],
    workDir: dir,
    mode: 'fast',
    fast: { durationMs: POD_MS, exitCode: 0, log: 'processed 1000 records' },
  });
  const system = await devstack.startSystem({
    databaseUrl,
    natsUrl: nats.url,
    busPrefix,
    kubeconfigPath,
    namespace: NAMESPACE,
    devApiKey: apiKey,
    output: { dir },
    logLevel: 'warn',
    ...(opts.services ? { services: opts.services } : {}),
    env: {
      SCHEDULER_MAX_RUNNING: quota,
      TENANT_MAX_RUNNING: quota,
      TENANT_MAX_QUEUED: quota,
      SCHEDULER_BATCH: '500',
      // Setup admits thousands at once; the job-runner may take minutes to create them all. Not
      // asking for those Jobs again after 60 s keeps the setup from doubling its own work.
      WATCHER_JOB_APPEAR_TIMEOUT_SECONDS: '900',
      RATE_LIMIT_IP_PER_SECOND: '1000000',
      RATE_LIMIT_IP_BURST: '1000000',
      RATE_LIMIT_TENANT_PER_SECOND: '1000000',
      RATE_LIMIT_TENANT_BURST: '1000000',
      ...opts.env,
    },
  });
  const benchDb = sutDb.createDb({ connectionString: databaseUrl, max: 2, applicationName: 'bench' });
  const query = async <T>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await benchDb.pool.query(text, values)).rows as T[];

  const body = JSON.stringify({
    pipeline_type: 'DataProcessing',
    config: { input_path: '/data/in.csv', output_path: '/data/out.json' },
    priority: 'Normal',
  });
  const post = async (): Promise<boolean> => {
    const res = await fetch(`${system.gatewayUrl}/pipelines`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    return res.status === 201;
  };

  return {
    dir,
    sim,
    system,
    databaseUrl,
    query,
    /**
     * Submits `count` pipelines through the gateway at `ratePerSecond` (open loop; 0: as fast as
     * `concurrency` requests in flight allow); resolves with the number accepted.
     */
    async submit(count: number, ratePerSecond: number, concurrency = 32): Promise<number> {
      let next = 0;
      let accepted = 0;
      const start = performance.now();
      const worker = async () => {
        while (next < count) {
          const wait = ratePerSecond > 0 ? start + (next * 1000) / ratePerSecond - performance.now() : 0;
          next++;
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
          if (await post()) accepted++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      return accepted;
    },
    /**
     * From the watcher's /metrics: its list requests (its informers' lists and relists) and its
     * Node heap (V8 heap total and used, external memory), MiB.
     */
    async watcherMetrics(): Promise<{
      lists: number;
      heapTotalMiB: number;
      heapUsedMiB: number;
      externalMiB: number;
    }> {
      const port = system.services.get('watcher')?.opsPort;
      const text = port ? await (await fetch(`http://127.0.0.1:${port}/metrics`)).text() : '';
      const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
      const mib = (name: string) =>
        +(sum(new RegExp(`^po_nodejs_${name}\\{[^}]*\\} ([0-9.e+]+)`, 'gm')) / 2 ** 20).toFixed(1);
      return {
        lists: sum(/^po_kube_requests_total\{verb="list",[^}]*\} (\d+)/gm),
        heapTotalMiB: mib('heap_size_total_bytes'),
        heapUsedMiB: mib('heap_size_used_bytes'),
        externalMiB: mib('external_memory_bytes'),
      };
    },
    /** Pipelines by status, from the database. */
    async statuses(): Promise<Record<string, number>> {
      const rows = await query<{ status: string; n: string }>(
        'select status, count(*) as n from pipelines group by status',
      );
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    /** The managed pods kube-sim is running, each with its pipeline (one list request). */
    async runningPods(): Promise<RunningPod[]> {
      const url = `${sim.url}/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(MANAGED_SELECTOR)}`;
      const list = (await (await fetch(url)).json()) as {
        items: { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } }[];
      };
      return list.items.flatMap((p) => {
        const pipelineId = p.metadata.labels?.[LABEL_PIPELINE_ID];
        return p.status?.phase === 'Running' && pipelineId ? [{ name: p.metadata.name, pipelineId }] : [];
      });
    },
    async stop(): Promise<void> {
      await benchDb.close();
      await system.stop();
      await sim.stop();
      await bus.deleteStreams(nc, busPrefix);
      await nc.close();
      await nats.stop();
      await devstack.dropDatabase(databaseUrl);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` every `everyMs` until it returns true; throws after `timeoutMs` with `what`. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 500,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
