/**
 * Faults never lose a pipeline or create a duplicate Job: the Kubernetes API failing, services
 * killed, NATS restarted, Postgres connections dropped. One stack on a private NATS server.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SERVICES } from '@po/devstack';
import pg from 'pg';
import { NAMESPACE, type Stack, startStack, waitFor } from './fixture.ts';
import type { PrivateNats } from './nats-server.ts';
import { type Created, jobGone, settled, submit } from './pipelines.ts';

let nats: PrivateNats;
let stack: Stack;
let input: string;

before(async () => {
  stack = await startStack();
  nats = stack.nats;
  input = join(stack.dir, 'input.txt');
  writeFileSync(input, 'a\nb\nc\n');
});
after(async () => {
  await stack?.stop();
});

async function submitMany(n = 1): Promise<Created[]> {
  const out: Created[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await submit(stack, {
        pipeline_type: 'DataProcessing',
        config: { input_path: input, output_path: join(stack.dir, `out-${Date.now()}-${i}.txt`) },
        priority: 'Normal',
      }),
    );
  }
  return out;
}

/** Succeeded, its Job gone, and exactly one pod ever ran for it (one run of the workload). */
async function succeededOnce(p: Created): Promise<void> {
  const done = await settled(stack, p.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  await jobGone(stack, p.job_name);
  const logs = (await (await stack.api(`/pipelines/${p.id}/logs`)).json()) as {
    lines: { pod: string; line: string }[];
  };
  const runs = logs.lines.filter((l) => l.line.startsWith('Processing data for pipeline'));
  // What a recurrence needs to be diagnosed: the stored lines, the attempts, and the service logs.
  const detail = () =>
    `${p.id}: stored ${JSON.stringify(logs.lines)}; pipeline ${JSON.stringify(done)}; service logs in ${stack.dir}`;
  assert.equal(runs.length, 1, `one run of the workload: ${detail()}`);
  assert.equal(new Set(logs.lines.map((l) => l.pod)).size, 1, 'one pod');
}

test('the Kubernetes API failing on Job creation (503s) is retried; the pipeline runs once', async () => {
  const before = stack.sim.faults.injected;
  const remove = stack.sim.faults.error(503, {
    method: 'POST',
    path: '/jobs',
    times: 3,
    retryAfterSeconds: 1,
  });
  try {
    const [p] = await submitMany();
    assert.ok(p);
    await succeededOnce(p);
    assert.equal(stack.sim.faults.injected - before, 3, 'every injected failure was hit');
  } finally {
    remove();
  }
});

test('a watcher killed while pipelines run catches up on restart (list, then reconcile)', async () => {
  await stack.system.kill('watcher', 'SIGKILL');
  const [p] = await submitMany();
  assert.ok(p);
  // The Job runs to completion in the cluster while nobody is watching.
  await waitFor('the Job to complete unobserved', async () => {
    const job = await stack.batch.readNamespacedJob({ name: p.job_name, namespace: NAMESPACE });
    return job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
      ? true
      : undefined;
  });
  assert.equal(
    ((await (await stack.api(`/pipelines/${p.id}`)).json()) as { status: string }).status,
    'Queued',
  );
  await stack.system.start('watcher');
  await succeededOnce(p);
});

test('a job-runner killed mid-burst loses nothing and creates no duplicate Job', async () => {
  const burst = await submitMany(8);
  await stack.system.kill('job-runner', 'SIGKILL');
  await stack.system.start('job-runner');
  for (const p of burst) await succeededOnce(p);
});

test('pipelines accepted while NATS is down run once it is back (transactional outbox)', async () => {
  await nats.stop();
  const accepted = await submitMany(3);
  await nats.start();
  for (const p of accepted) await succeededOnce(p);
});

test('Postgres dropping every service connection does not lose a pipeline', async () => {
  const admin = new pg.Client({ connectionString: stack.databaseUrl });
  await admin.connect();
  try {
    const killed = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    assert.ok((killed.rowCount ?? 0) >= 5, 'every service had connections to drop');
  } finally {
    await admin.end();
  }
  const [p] = await waitFor('the gateway to accept again', async () => {
    const res = await stack.api('/pipelines', {
      method: 'POST',
      body: JSON.stringify({
        pipeline_type: 'DataProcessing',
        config: { input_path: input, output_path: join(stack.dir, 'out-pg.txt') },
        priority: 'Normal',
      }),
    });
    return res.status === 201 ? [(await res.json()) as Created] : undefined;
  });
  assert.ok(p);
  await succeededOnce(p);
});

test('with NATS gone, every service still stops cleanly on SIGTERM (no drain waits for a reconnect)', async () => {
  await nats.stop();
  try {
    for (const name of SERVICES)
      assert.equal(await stack.system.kill(name, 'SIGTERM'), 0, `${name} exit code after SIGTERM`);
  } finally {
    await nats.start();
  }
});
