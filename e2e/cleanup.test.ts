/**
 * A system that cleans up after itself (issue 12): the retention sweep removes finished pipelines past
 * their retention (with attempts, events and logs) and nothing else; a Job carrying only our
 * managed-by label, which no pipeline attempt can own, is collected after its grace period.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { V1Job } from '@kubernetes/client-node';
import pg from 'pg';
import { NAMESPACE, type Stack, startStack, waitFor } from './fixture.ts';
import { jobGone, registerGatedTemplate, settled, statusOf, submit, submitGated } from './pipelines.ts';

let stack: Stack;
let db: pg.Client;
before(async () => {
  stack = await startStack({
    env: {
      // Finished pipelines expire ~17 s after they end; the sweep looks twice a second.
      RETENTION_PIPELINES_DAYS: '0.0002',
      RETENTION_SWEEP_INTERVAL_SECONDS: '0.5',
      WATCHER_ORPHAN_GRACE_SECONDS: '1',
      WATCHER_RESYNC_SECONDS: '1',
    },
  });
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

const rows = async (table: string, id: string) =>
  Number(
    (
      await db.query(
        `select count(*)::int as n from ${table} where ${table === 'pipelines' ? 'id' : 'pipeline_id'} = $1`,
        [id],
      )
    ).rows[0]?.n,
  );

test('the retention sweep removes a finished pipeline past its retention, with its history, and nothing else', async () => {
  await registerGatedTemplate(stack);
  const gate = join(stack.dir, 'retention-gate');
  const running = await submitGated(stack, gate, { timeoutSeconds: 300 });
  await waitFor(
    'the gated pipeline running',
    async () => (await statusOf(stack, running.id)).status === 'Running' || undefined,
  );

  const input = join(stack.dir, 'retention-in.txt');
  writeFileSync(input, 'a\nb\n');
  const done = await submit(stack, {
    pipeline_type: 'DataProcessing',
    config: { input_path: input, output_path: join(stack.dir, 'retention-out.txt') },
    priority: 'High',
  });
  assert.equal((await settled(stack, done.id)).status, 'Succeeded');
  assert.ok((await rows('pipeline_events', done.id)) > 0);
  await jobGone(stack, done.job_name);

  await waitFor('the finished pipeline swept', async () => {
    const res = await stack.api(`/pipelines/${done.id}`);
    return res.status === 404 || undefined;
  });
  for (const table of ['pipeline_attempts', 'pipeline_events', 'pipeline_logs'])
    assert.equal(await rows(table, done.id), 0, `${table} of the swept pipeline`);

  // The unfinished one, older than the retention by now, stays with its history.
  const kept = await statusOf(stack, running.id);
  assert.equal(kept.status, 'Running');
  assert.ok((await rows('pipeline_events', running.id)) >= 2);
  assert.equal(await rows('pipeline_attempts', running.id), 1);

  // The sweeper counts a batch once its DELETE has answered: the 404 can come first.
  const port = stack.system.services.get('scheduler')?.port;
  await waitFor('the sweep counted in po_retention_deleted_total', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const swept = metrics
      .split('\n')
      .find((l) => l.startsWith('po_retention_deleted_total') && l.includes('kind="pipelines"'));
    return swept !== undefined && Number(swept.split(' ').at(-1)) >= 1;
  });

  writeFileSync(gate, '');
  assert.equal((await settled(stack, running.id)).status, 'Succeeded');
});

const suspendedJob = (name: string, labels: Record<string, string>): V1Job => ({
  metadata: { name, labels },
  spec: {
    suspend: true,
    template: {
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }],
      },
    },
  },
});

test('a Job carrying only the managed-by label is collected after its grace period; an unmanaged one is left alone', async () => {
  await stack.batch.createNamespacedJob({
    namespace: NAMESPACE,
    body: suspendedJob('not-ours', { app: 'someone-else' }),
  });
  await stack.batch.createNamespacedJob({
    namespace: NAMESPACE,
    body: suspendedJob('bare-orphan', { 'app.kubernetes.io/managed-by': 'pipeline-operator' }),
  });
  await jobGone(stack, 'bare-orphan');
  const other = await stack.batch.readNamespacedJob({ name: 'not-ours', namespace: NAMESPACE });
  assert.equal(other.metadata?.name, 'not-ours', 'a Job without our label is never touched');
});
