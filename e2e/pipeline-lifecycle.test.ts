/**
 * Issue #2's path, end to end: POST /pipelines → scheduler admits → job-runner creates the Job in
 * kube-sim → its pod's process runs → watcher sees it end → log-collector stores the output → the
 * Job is deleted; GET shows the outcome and the logs.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Stack, startStack } from './fixture.ts';
import { historyAfterCleanup, jobGone, settled, submit } from './pipelines.ts';

interface Logs {
  lines: { attempt: number; pod: string; ts: string | null; line: string }[];
  attempts: { attempt: number; captured: boolean }[];
}

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

const dataProcessing = (config: Record<string, unknown>) =>
  submit(stack, { pipeline_type: 'DataProcessing', config, priority: 'High', timeout_seconds: 120 });

async function logsOf(id: string): Promise<Logs> {
  const res = await stack.api(`/pipelines/${id}/logs`);
  assert.equal(res.status, 200);
  return (await res.json()) as Logs;
}

test('a DataProcessing pipeline runs its process in a pod, succeeds, keeps its logs and leaves no Job', async () => {
  const input = join(stack.dir, 'input.txt');
  const output = join(stack.dir, 'output.txt');
  writeFileSync(input, Array.from({ length: 2500 }, (_, i) => `record ${i}`).join('\n'));

  const created = await dataProcessing({ input_path: input, output_path: output });
  assert.equal(created.status, 'Queued');
  assert.match(created.job_name, /^pipeline-[0-9a-f-]{36}-1$/);
  assert.equal(created.config.batch_size, 1000, 'schema default applied');

  const done = await settled(stack, created.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  await jobGone(stack, created.job_name);

  const logs = await logsOf(created.id);
  const text = logs.lines.map((l) => l.line).join('\n');
  assert.match(text, new RegExp(`Processing data for pipeline ${created.id}`));
  assert.match(text, /done: 2500 records/);
  assert.ok(logs.lines.every((l) => l.attempt === 1 && l.pod.startsWith(created.job_name)));
  assert.ok(
    logs.lines.every((l) => l.ts !== null),
    'each line keeps its kubelet timestamp',
  );
  assert.deepEqual(
    logs.attempts.map((a) => a.captured),
    [true],
  );
  // The pod's process really ran: it wrote the output file on this machine.
  assert.ok(existsSync(output), 'the workload wrote its output');
  assert.match(readFileSync(output, 'utf8'), /2500/);

  const history = await historyAfterCleanup(stack, created.id);
  assert.deepEqual(
    history.filter((e) => e.kind === 'transition').map((e) => e.to),
    ['Queued', 'Running', 'Succeeded'],
  );
  // Cleanup is part of the history: the logs were stored before the Job was deleted.
  const kinds = history.map((e) => e.kind);
  assert.ok(kinds.indexOf('logs_captured') < kinds.indexOf('job_deleted'), kinds.join(','));
});

test('a pipeline whose command exits non-zero ends Failed with the reason and its last log line, its logs stored too', async () => {
  const missing = join(stack.dir, 'does-not-exist.txt');
  const created = await dataProcessing({ input_path: missing, output_path: join(stack.dir, 'never.txt') });

  const done = await settled(stack, created.id);
  assert.equal(done.status, 'Failed');
  // The cause is in the reason, not only in the logs (FallbackToLogsOnError → terminated.message).
  assert.equal(done.reason, `BackoffLimitExceeded: exit code 1: error: input not found: ${missing}`);
  const detail = (await (await stack.api(`/pipelines/${created.id}`)).json()) as {
    attempts: { reason: string | null }[];
  };
  assert.equal(detail.attempts[0]?.reason, done.reason, 'the attempt keeps it too');
  await jobGone(stack, created.job_name);

  const logs = await logsOf(created.id);
  const text = logs.lines.map((l) => l.line).join('\n');
  assert.match(text, new RegExp(`error: input not found: ${missing.replaceAll('.', '\\.')}`));
});
