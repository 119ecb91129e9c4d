// Public surface of kube-sim: an in-process Kubernetes API server with a Job controller and a
// kubelet that runs containers as local processes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { Cluster } from './cluster.ts';
import { EventRecorder } from './events.ts';
import { Faults } from './faults.ts';
import { GarbageCollector } from './gc.ts';
import { JobController } from './job-controller.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { type FastOptions, Kubelet } from './kubelet.ts';
import { LogStore } from './logs.ts';
import { NAMESPACES } from './resources.ts';
import { SimServer } from './server.ts';
import { Store } from './store.ts';
import type { Container, Pod } from './types.ts';
import type { ActiveWatch } from './watch.ts';

export type { FaultRule, Faults, WatchCut } from './faults.ts';

export interface KubeSimOptions {
  /** default 0 (ephemeral); listens on 127.0.0.1 only */
  port?: number;
  /** pre-created, default ['default', 'pipelines'] */
  namespaces?: string[];
  /** kubelet mode, default 'process' */
  mode?: 'process' | 'fast';
  /** fast-mode defaults */
  fast?: { durationMs?: number; exitCode?: number; log?: string };
  /** if set, also writes the kubeconfig YAML there */
  kubeconfigPath?: string;
  /** scratch dirs for pod processes (default os.tmpdir()) */
  workDir?: string;
  /** bounded event history size for 410 Gone (default 1000, like a watch cache) */
  watchHistory?: number;
  /** interval of BOOKMARK events on watches with allowWatchBookmarks (default 10000 ms) */
  bookmarkIntervalMs?: number;
  /** record core/v1 Events (default true); at most this many are kept (default 10000); 0 disables */
  maxEvents?: number;
  /**
   * Base delay before the Job controller replaces failed pods: doubles per failure since the last
   * success, capped at 6 minutes. Default 10000 ms, as in Kubernetes; tests that retry pods pass
   * a few ms.
   */
  podBackoffMs?: number;
  /**
   * Base of the kubelet's crash-loop back-off for containers restarted in place (every exit with
   * restartPolicy Always, failures with OnFailure; failed init containers unless Never): the
   * first restart is immediate, later ones wait this long, doubling per restart, capped at 5
   * minutes. Default 10000 ms, as in Kubernetes; tests that restart containers pass a few ms.
   */
  restartBackoffMs?: number;
  /** In process mode, run the containers this returns options for in fast mode (tests mixing both). */
  fastFor?: (pod: Pod, container: Container) => FastOptions | undefined;
  /** Count every successful create by `resource/namespace/name` (see KubeSim.creations). */
  recordCreations?: boolean;
  /**
   * The kubelet's containerLogMaxSize in bytes (default 10 MiB): a container's log file is rotated
   * once it would grow past it, and only the current file is served (and kept in memory).
   */
  containerLogMaxSize?: number;
  /**
   * The uid a container runs as when its securityContext says runAsNonRoot and names no
   * runAsUser (default 65532). Containers run as their securityContext's user when kube-sim runs
   * as root; otherwise as kube-sim's own user.
   */
  nonRootUid?: number;
}

export interface KubeSim {
  /** http://127.0.0.1:PORT */
  url: string;
  /** kubeconfig YAML text */
  kubeconfig: string;
  kubeconfigPath?: string;
  /** fault injection controller */
  faults: Faults;
  /** Successful creates by `resource/namespace/name`, when started with recordCreations. */
  creations: ReadonlyMap<string, number>;
  /**
   * Every API request received so far (faulted ones included), by `<verb> <resource>` as the
   * API server's metrics name them: `list pods`, `watch jobs`, `create jobs`, `get pods/log`…
   */
  requests: ReadonlyMap<string, number>;
  /**
   * Fast mode: ends the pod's running containers now, with the exit code and log their fast
   * options give (run long pods and finish them on demand). False if it has none running.
   */
  finishPod(namespace: string, name: string): boolean;
  /** drop every connection, keep state, listen again on the same port */
  restart(): Promise<void>;
  /** kill pod processes, close server */
  stop(): Promise<void>;
}

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const store = new Store(opts.watchHistory ?? 1_000);
  const cluster = new Cluster(store);
  const creations = new Map<string, number>();
  const requests = new Map<string, number>();
  if (opts.recordCreations) cluster.creations = creations;
  const logs = new LogStore(opts.containerLogMaxSize);
  const events = new EventRecorder(store, opts.maxEvents ?? 10_000);
  if (opts.maxEvents === 0) events.enabled = false;
  const watches = new Set<ActiveWatch>();
  const faults = new Faults({
    forceGone() {
      store.compact();
      for (const w of [...watches])
        w.expire(`too old resource version: forced by kube-sim faults (${store.resourceVersion})`);
    },
  });
  for (const ns of opts.namespaces ?? ['default', 'pipelines']) {
    cluster.create(NAMESPACES, undefined, { metadata: { name: ns } });
  }
  // The watch cache starts after the start-up objects, as the real one starts from a list.
  store.markCacheStart();
  const gc = new GarbageCollector(cluster);
  const jobs = new JobController(
    cluster,
    events,
    opts.podBackoffMs === undefined ? {} : { podBackoffMs: opts.podBackoffMs },
  );
  const kubelet = new Kubelet(cluster, logs, events, {
    mode: opts.mode ?? 'process',
    fast: opts.fast ?? {},
    fastFor: opts.fastFor,
    workDir: opts.workDir ?? tmpdir(),
    ...(opts.restartBackoffMs === undefined ? {} : { restartBackoffMs: opts.restartBackoffMs }),
    ...(opts.nonRootUid === undefined ? {} : { nonRootUid: opts.nonRootUid }),
  });
  store.startSweeper();
  gc.start();
  jobs.start();
  kubelet.start();

  const server = new SimServer({
    cluster,
    logs,
    faults,
    watches,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
    requests,
  });
  const port = await server.listen(opts.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  const kubeconfig = kubeconfigYaml(url);
  if (opts.kubeconfigPath) {
    mkdirSync(dirname(opts.kubeconfigPath), { recursive: true });
    writeFileSync(opts.kubeconfigPath, kubeconfig, { mode: 0o600 });
  }
  let stopped = false;
  const sim: KubeSim = {
    url,
    kubeconfig,
    faults,
    creations,
    requests,
    finishPod: (namespace, name) => kubelet.finishFast(namespace, name),
    restart: () => server.restart(),
    async stop() {
      if (stopped) return;
      stopped = true;
      jobs.stop();
      gc.stop();
      store.stopSweeper();
      await kubelet.stop();
      await server.close();
    },
  };
  if (opts.kubeconfigPath) sim.kubeconfigPath = opts.kubeconfigPath;
  return sim;
}
