/**
 * Pipelines observed while their pod is still running (a gated workload, see pipelines.ts): live
 * logs over SSE, cancel, timeout, and a retry after the Job vanished.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NAMESPACE, type Stack, startStack, waitFor } from './fixture.ts';
import {
  capturedLogs,
  historyAfterCleanup,
  jobGone,
  registerGatedTemplate,
  settled,
  statusOf,
  storedLines,
  submit,
  submitGated,
} from './pipelines.ts';
import { readSse } from './sse.ts';

let stack: Stack;
before(async () => {
  stack = await startStack();
  await registerGatedTemplate(stack);
});
after(async () => {
  await stack?.stop();
});

test('logs?follow=true streams a line while the pod is still running, then ends with the pipeline', async () => {
  const gate = join(stack.dir, 'gate-follow');
  const p = await submitGated(stack, gate);
  const res = await stack.api(`/pipelines/${p.id}/logs?follow=true`, {
    headers: { accept: 'text/event-stream' },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);

  const seen: string[] = [];
  let end: { status: string } | undefined;
  for await (const ev of readSse(res)) {
    if (ev.event === 'log') {
      const { line } = JSON.parse(ev.data) as { line: string };
      seen.push(line);
      if (line === 'first line') {
        // The workload is blocked on the gate: this line arrived live.
        assert.equal(existsSync(gate), false);
        assert.equal((await statusOf(stack, p.id)).status, 'Running');
        writeFileSync(gate, '');
      }
    }
    if (ev.event === 'end') {
      end = JSON.parse(ev.data) as { status: string };
      break;
    }
  }
  assert.deepEqual(seen, ['first line', 'second line'], 'each line exactly once, in order');
  assert.equal(end?.status, 'Succeeded');
});

test('cancelling a running pipeline stores its partial logs, then deletes the Job', async () => {
  const gate = join(stack.dir, 'gate-cancel-never-opened');
  const p = await submitGated(stack, gate);
  await waitFor('the first line to be stored live', async () =>
    (await storedLines(stack, p.id)).includes('first line') ? true : undefined,
  );
  assert.equal((await statusOf(stack, p.id)).status, 'Running');

  const res = await stack.api(`/pipelines/${p.id}/cancel`, { method: 'POST' });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { status: string }).status, 'Cancelled');
  await jobGone(stack, p.job_name);

  assert.deepEqual(await storedLines(stack, p.id), ['first line']);
  const again = await stack.api(`/pipelines/${p.id}/cancel`, { method: 'POST' });
  assert.equal(again.status, 409);
  const body = (await again.json()) as { error: string; type: string };
  assert.equal(body.type, 'InvalidState');
  assert.match(body.error, /Cancelled/);
});

test('cancelling a running pipeline whose logs cannot be read stops it within seconds and records the missing logs', async () => {
  const gate = join(stack.dir, 'gate-cancel-unreadable');
  const p = await submitGated(stack, gate);
  await waitFor('the first line to be stored live', async () =>
    (await storedLines(stack, p.id)).includes('first line') ? true : undefined,
  );
  const podName = await waitFor('the pod', async () => {
    const pods = await stack.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: `batch.kubernetes.io/job-name=${p.job_name}`,
    });
    return pods.items[0]?.metadata?.name;
  });
  // From now on every read of this pod's log fails.
  const unreadable = stack.sim.faults.error(500, { path: `/pods/${podName}/log` });
  try {
    const started = Date.now();
    const res = await stack.api(`/pipelines/${p.id}/cancel`, { method: 'POST' });
    assert.equal(res.status, 200, await res.clone().text());
    await jobGone(stack, p.job_name);
    const took = Date.now() - started;
    assert.ok(took < 10_000, `Job and pod gone ${took} ms after the cancel`);
  } finally {
    unreadable();
  }
  assert.equal((await statusOf(stack, p.id)).status, 'Cancelled');
  assert.deepEqual(await storedLines(stack, p.id), ['first line'], 'what the live tail captured is kept');
  const events = await historyAfterCleanup(stack, p.id);
  const captured = events.filter((e) => e.kind === 'logs_captured');
  assert.equal(captured.length, 1);
  assert.match(captured[0]?.reason ?? '', /^logs incomplete: .*500 InternalError/);
  const kinds = events.map((e) => e.kind);
  assert.ok(kinds.indexOf('logs_captured') < kinds.indexOf('job_deleted'), kinds.join(','));
});

test('a workload printing NUL bytes and invalid UTF-8: every line stored, the Job deleted', async () => {
  const res = await stack.api('/templates', {
    method: 'POST',
    body: JSON.stringify({
      name: 'hostile-output',
      description: 'prints NUL bytes and invalid UTF-8 among ordinary lines',
      image: 'python:3.11-slim',
      command: ['python3', '-c'],
      args: [
        'import sys\nw = sys.stdout.buffer.write\nw(b"before\\n")\nw(b"nul\\x00here\\n")\nw(b"bad \\xff\\xfe utf8\\n")\nw(b"after\\n")\n',
      ],
      env: {},
      resources: { cpu_request: '50m', memory_request: '64Mi', cpu_limit: '500m', memory_limit: '256Mi' },
      configSchema: { type: 'object', properties: {}, additionalProperties: false },
      backoffLimit: 0,
      defaultTimeoutSeconds: 60,
    }),
  });
  assert.equal(res.status, 201, await res.text());
  const p = await submit(stack, {
    pipeline_type: { Custom: { template: 'hostile-output' } },
    config: {},
    priority: 'Normal',
  });
  const done = await settled(stack, p.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  await jobGone(stack, p.job_name);
  assert.deepEqual(await storedLines(stack, p.id), [
    'before',
    'nul\uFFFDhere',
    'bad \uFFFD\uFFFD utf8',
    'after',
  ]);
});

test('a config value holding U+2028 runs to Succeeded (the Job reaches the watcher intact)', async () => {
  const gate = join(stack.dir, 'gate\u2028line-sep');
  writeFileSync(gate, '');
  const p = await submitGated(stack, gate);
  const done = await settled(stack, p.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  assert.deepEqual(
    (await capturedLogs(stack, p.id)).lines.map((l) => l.line),
    ['first line', 'second line'],
  );
});

test('a pipeline that outlives timeout_seconds ends Timeout, with the logs it printed', async () => {
  const p = await submitGated(stack, join(stack.dir, 'gate-timeout-never-opened'), { timeoutSeconds: 8 });
  // The workload must print its first line before the deadline: a python3 start takes 1-2 s on a
  // loaded 2-core machine, and the deadline counts from startTime rounded down to the second.
  const done = await waitFor('the pipeline to time out', async () => {
    const s = await statusOf(stack, p.id);
    return s.status === 'Running' || s.status === 'Queued' ? undefined : s;
  });
  assert.equal(done.status, 'Timeout', `reason: ${done.reason}`);
  const detail = (await (await stack.api(`/pipelines/${p.id}`)).json()) as {
    attempts: { started_at: string | null; finished_at: string | null }[];
  };
  const run = detail.attempts[0];
  assert.ok(run?.started_at && run.finished_at);
  assert.ok(Date.parse(run.finished_at) > Date.parse(run.started_at), JSON.stringify(run));
  assert.match(done.reason ?? '', /deadline/i);
  await jobGone(stack, p.job_name);
  assert.deepEqual(await storedLines(stack, p.id), ['first line']);
});

test('a Job deleted out from under a running pipeline is retried as a new attempt, not lost', async () => {
  const gate = join(stack.dir, 'gate-retry');
  const p = await submitGated(stack, gate);
  await waitFor('attempt 1 running with output', async () =>
    (await storedLines(stack, p.id)).includes('first line') ? true : undefined,
  );
  // Someone (or something) deletes the Job: the platform lost the attempt, the workload did not fail.
  await stack.batch.deleteNamespacedJob({
    name: p.job_name,
    namespace: NAMESPACE,
    propagationPolicy: 'Background',
  });
  const second = await waitFor('attempt 2', async () => {
    const d = (await (await stack.api(`/pipelines/${p.id}`)).json()) as { attempt: number; job_name: string };
    return d.attempt === 2 ? d : undefined;
  });
  assert.equal(second.job_name, p.job_name.replace(/-1$/, '-2'));
  writeFileSync(gate, '');
  const done = await waitFor('the retried pipeline to finish', async () => {
    const s = await statusOf(stack, p.id);
    return s.status === 'Running' || s.status === 'Queued' ? undefined : s;
  });
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  await jobGone(stack, second.job_name);

  const logs = (await (await stack.api(`/pipelines/${p.id}/logs`)).json()) as {
    lines: { attempt: number; line: string }[];
  };
  assert.deepEqual(
    logs.lines.map((l) => `${l.attempt}:${l.line}`),
    ['1:first line', '2:first line', '2:second line'],
  );
  const events = (await (await stack.api(`/pipelines/${p.id}/events`)).json()) as {
    kind: string;
    to: string | null;
    reason: string | null;
  }[];
  const transitions = events.filter((e) => e.kind === 'transition');
  assert.deepEqual(
    transitions.map((e) => e.to),
    ['Queued', 'Running', 'Queued', 'Running', 'Succeeded'],
  );
  assert.match(transitions[2]?.reason ?? '', /^Retrying: attempt 1 of 3 ended: JobDeleted/);
  // Each attempt shows its own outcome: the lost one Failed (JobDeleted), the retry Succeeded.
  const detail = (await (await stack.api(`/pipelines/${p.id}`)).json()) as {
    attempts: { attempt: number; status: string | null; reason: string | null; finished_at: string | null }[];
  };
  assert.deepEqual(
    detail.attempts.map((a) => [a.attempt, a.status]),
    [
      [1, 'Failed'],
      [2, 'Succeeded'],
    ],
  );
  assert.match(detail.attempts[0]?.reason ?? '', /^JobDeleted: /);
  assert.ok(detail.attempts.every((a) => a.finished_at !== null));
});
