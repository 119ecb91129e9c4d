/**
 * A TCP proxy in front of PostgreSQL that counts statements and round trips (pg-wire.ts). It runs
 * in a worker thread, so the kube-sim and load generator sharing the bench's event loop do not
 * delay the services' queries (and the proxy's work does not delay them).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { PgCounts } from './pg-wire.ts';

export interface PgProxy {
  port: number;
  counts(): Promise<PgCounts>;
  /** How often each text was parsed (only when started with `texts`). */
  texts(): Promise<[string, number][]>;
  stop(): Promise<void>;
}

export async function startPgProxy(upstream: {
  host: string;
  port: number;
  texts?: boolean;
}): Promise<PgProxy> {
  const worker = new Worker(new URL('./pg-proxy-worker.ts', import.meta.url), { workerData: upstream });
  const [port] = (await once(worker, 'message')) as [number];
  return {
    port,
    async counts() {
      worker.postMessage('counts');
      const [c] = (await once(worker, 'message')) as [PgCounts];
      return c;
    },
    async texts() {
      worker.postMessage('texts');
      const [t] = (await once(worker, 'message')) as [[string, number][]];
      return t;
    },
    async stop() {
      await worker.terminate();
    },
  };
}
