// Shared by the tests: wait on conditions (never sleep), a raw JSON client, client-node clients and
// their errors, and a Job builder.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import type { KubeSim } from './index.ts';
import type { Job } from './types.ts';

export { waitFor } from '@po/testkit';

/** client-node's clients for a sim. */
export function clients(sim: KubeSim): { kc: KubeConfig; batch: BatchV1Api; core: CoreV1Api } {
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  return { kc, batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api) };
}

/** The Status a client-node call failed with. */
export interface ApiStatus {
  code: number;
  reason: string;
  message: string;
  body: Record<string, unknown>;
}

export function statusOf(e: unknown): ApiStatus {
  assert.ok(e instanceof ApiException, `expected ApiException, got ${String(e)}`);
  const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
  return { code: e.code, reason: body.reason, message: body.message, body };
}

/** Awaits a call that must fail, and returns its Status. */
export async function rejects(p: Promise<unknown>): Promise<ApiStatus> {
  try {
    await p;
  } catch (e) {
    return statusOf(e);
  }
  assert.fail('expected the call to fail');
}

/** Every version of the pods of a Job seen on a watch (start it before the Job exists). */
export async function watchPods(
  kc: KubeConfig,
  namespace: string,
  job: string,
): Promise<{ seen: V1Pod[]; stop: () => void }> {
  const seen: V1Pod[] = [];
  const ctl = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    { labelSelector: `batch.kubernetes.io/job-name=${job}` },
    (_type, obj: V1Pod) => seen.push(obj),
    () => {},
  );
  return { seen, stop: () => ctl.abort() };
}

export interface Raw {
  status: number;
  body: unknown;
  headers: Headers;
}

export async function raw(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Raw> {
  const init: RequestInit = { method, headers: { 'content-type': contentType } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(base + path, init);
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // text body (logs)
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

export function jobBody(
  name: string,
  command: string[],
  spec: Record<string, unknown> = {},
  meta: Record<string, unknown> = {},
  podMeta: Record<string, unknown> = {},
): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, ...meta },
    spec: {
      template: {
        metadata: podMeta,
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'main', image: 'busybox:1.36', command }],
        },
      },
      ...spec,
    },
  };
}

let n = 0;
export function uniq(prefix: string): string {
  n++;
  return `${prefix}-${process.pid % 10000}-${n}`;
}

/** Follows a container's log through client-node's Log API and resolves with all of it once the server ends the stream. */
export async function followLogToEnd(
  kc: KubeConfig,
  ns: string,
  pod: string,
  container: string,
  options: { previous?: boolean } = {},
): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const ended = new Promise<void>((resolve) => out.on('end', resolve));
  await new Log(kc).log(ns, pod, container, out, { follow: true, ...options });
  await ended;
  return text;
}
