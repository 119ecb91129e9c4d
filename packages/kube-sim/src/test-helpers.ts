// Shared by the tests: wait on conditions (never sleep), a raw JSON client, and a Job builder.
import { PassThrough } from 'node:stream';
import { type KubeConfig, Log } from '@kubernetes/client-node';
import type { Job } from './types.ts';

export { waitFor } from '@po/testkit';

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
