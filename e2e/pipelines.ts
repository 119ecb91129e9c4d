/** What the e2e tests ask of a running stack, over its public API and kube-sim. */
import assert from 'node:assert/strict';
import { NAMESPACE, type Stack, waitFor } from './fixture.ts';

export interface Created {
  id: string;
  job_name: string;
  status: string;
  config: Record<string, unknown>;
}

export interface Status {
  status: string;
  reason: string | null;
  attempt: number;
  job_name: string;
}

export async function submit(stack: Stack, body: Record<string, unknown>): Promise<Created> {
  const res = await stack.api('/pipelines', { method: 'POST', body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as Created;
}

export async function statusOf(stack: Stack, id: string): Promise<Status> {
  return (await (await stack.api(`/pipelines/${id}`)).json()) as Status;
}

/** Waits until the pipeline is in a terminal status and returns it. */
export function settled(stack: Stack, id: string, timeoutMs = 90_000): Promise<Status> {
  return waitFor(
    `pipeline ${id} to finish`,
    async () => {
      const s = await statusOf(stack, id);
      return s.status === 'Queued' || s.status === 'Running' ? undefined : s;
    },
    timeoutMs,
  );
}

export interface StoredLogs {
  attempts: { attempt: number; captured: boolean }[];
  lines: { attempt: number; line: string }[];
}

/** The lines stored so far: while a pod runs, what its live tail has stored. */
export async function storedLines(stack: Stack, id: string): Promise<string[]> {
  const logs = (await (await stack.api(`/pipelines/${id}/logs`)).json()) as StoredLogs;
  return logs.lines.map((l) => l.line);
}

/**
 * The pipeline's logs once every attempt's final capture is stored. A terminal status comes first
 * and the capture after it (finished → logs stored → Job deleted), so a test reading the logs right
 * after `settled` races the log-collector.
 */
export function capturedLogs(stack: Stack, id: string): Promise<StoredLogs> {
  return waitFor(`pipeline ${id}: the logs of every attempt captured`, async () => {
    const logs = (await (await stack.api(`/pipelines/${id}/logs`)).json()) as StoredLogs;
    return logs.attempts.length > 0 && logs.attempts.every((a) => a.captured) ? logs : undefined;
  });
}

export interface HistoryEvent {
  kind: string;
  to: string | null;
  reason: string | null;
}

/**
 * The pipeline's event history once its cleanup is recorded: the `job_deleted` event is written after
 * the Job's DELETE is answered, so a Job already gone from the cluster may not be in the history yet.
 */
export function historyAfterCleanup(stack: Stack, id: string): Promise<HistoryEvent[]> {
  return waitFor(`pipeline ${id}: job_deleted recorded`, async () => {
    const events = (await (await stack.api(`/pipelines/${id}/events`)).json()) as HistoryEvent[];
    return events.some((e) => e.kind === 'job_deleted') ? events : undefined;
  });
}

/** Waits until the Job is gone from the cluster, and its pods with it. */
export async function jobGone(stack: Stack, name: string): Promise<void> {
  await waitFor(`Job ${name} to be deleted`, async () => {
    try {
      await stack.batch.readNamespacedJob({ name, namespace: NAMESPACE });
      return undefined;
    } catch (err) {
      return (err as { code?: number }).code === 404 ? true : undefined;
    }
  });
  await waitFor(`pods of ${name} to be garbage-collected`, async () => {
    const left = await stack.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: `batch.kubernetes.io/job-name=${name}`,
    });
    return left.items.length === 0 ? true : undefined;
  });
}

/**
 * A custom template whose workload prints a line, then waits for a file the test creates: "still
 * running" becomes a fact the test controls, not a race it hopes to win.
 */
const GATED_SCRIPT = `
import os, time
print("first line", flush=True)
gate = os.environ["GATE_PATH"]
while not os.path.exists(gate):
    time.sleep(0.02)
print("second line", flush=True)
`;

/** The gated template's spec (POST /templates body). */
export const GATED_TEMPLATE = {
  name: 'gated',
  description: 'prints a line, waits for a file, prints another',
  image: 'python:3.11-slim',
  command: ['python3', '-c'],
  args: [GATED_SCRIPT],
  env: { GATE_PATH: '{{gate_path}}' },
  resources: { cpu_request: '50m', memory_request: '64Mi', cpu_limit: '500m', memory_limit: '256Mi' },
  configSchema: {
    type: 'object',
    properties: { gate_path: { type: 'string', maxLength: 4096 } },
    required: ['gate_path'],
    additionalProperties: false,
  },
  backoffLimit: 0,
  defaultTimeoutSeconds: 300,
};

export async function registerGatedTemplate(stack: Stack): Promise<void> {
  const res = await stack.api('/templates', { method: 'POST', body: JSON.stringify(GATED_TEMPLATE) });
  assert.equal(res.status, 201, await res.text());
}

export function submitGated(
  stack: Stack,
  gate: string,
  opts: { timeoutSeconds?: number; priority?: string } = {},
): Promise<Created> {
  return submit(stack, {
    pipeline_type: { Custom: { template: 'gated' } },
    config: { gate_path: gate },
    priority: opts.priority ?? 'Normal',
    timeout_seconds: opts.timeoutSeconds ?? 120,
  });
}

/** The same stack, spoken to with another API key. */
export function withKey(stack: Stack, key: string): Stack {
  return {
    ...stack,
    api: (path, init = {}) =>
      stack.api(path, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } }),
  };
}

/** An admin key of another tenant, made by the operator (the dev key is admin of tenant `default`). */
export async function tenantAdmin(stack: Stack, tenant: string): Promise<Stack> {
  const res = await stack.api('/keys', {
    method: 'POST',
    body: JSON.stringify({ name: `${tenant}-admin`, role: 'admin', tenant_id: tenant }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return withKey(stack, ((await res.json()) as { key: string }).key);
}
