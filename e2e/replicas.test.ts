/**
 * Two replicas of every service give the same outcomes as one (issue #8): the lifecycle scenarios —
 * success, failure, cancel, timeout, restart — each end as they do with one replica, with exactly
 * the attempts they call for, one Job created per attempt (counted on a watch opened before the
 * first submit), no transition recorded twice, every log line stored once, and no more pipelines
 * admitted than the quota. Requests alternate between the two gateways.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SERVICES } from '@po/devstack';
import pg from 'pg';
import { jobsCreated, type Stack, startStack, waitFor } from './fixture.ts';
import {
  type Created,
  capturedLogs,
  jobGone,
  registerGatedTemplate,
  settled,
  statusOf,
  storedLines,
  submit,
  submitGated,
} from './pipelines.ts';

const MAX_RUNNING = 2;
let stack: Stack;
let db: pg.Client;
/** Every Job created, by name, on a watch opened before the first submit. */

before(async () => {
  const base = await startStack({
    replicas: Object.fromEntries(SERVICES.map((s) => [s, 2])),
    env: { SCHEDULER_MAX_RUNNING: String(MAX_RUNNING) },
  });
  // Round-robin over the gateway replicas.
  let next = 0;
  stack = {
    ...base,
    api: (path, init = {}) => {
      const urls = base.system.gatewayUrls;
      const url = urls[next++ % urls.length];
      return fetch(`${url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${base.apiKey}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });
    },
  };
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  await registerGatedTemplate(stack);
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

/** Both replicas of every service are up, and exactly one watcher leads. */
test('two replicas of each service run, and exactly one watcher is the leader', async () => {
  for (const name of SERVICES) {
    const replicas = stack.system.replicas.get(name) ?? [];
    assert.equal(replicas.length, 2, name);
    for (const r of replicas) {
      const health = (await (await fetch(`http://127.0.0.1:${r.port}/health`)).json()) as {
        instance: string;
      };
      assert.equal(health.instance, r.instance, `${name}#${r.replica}`);
    }
  }
  const roles = await waitFor('a watcher leader', async () => {
    const rs = await Promise.all(
      (stack.system.replicas.get('watcher') ?? []).map(
        async (r) =>
          ((await (await fetch(`http://127.0.0.1:${r.port}/health`)).json()) as { role: string }).role,
      ),
    );
    return rs.includes('leader') ? rs.sort() : undefined;
  });
  assert.deepEqual(roles, ['leader', 'standby']);
});

/** What one replica of everything would have left for this pipeline, checked from the database and the watch. */
async function assertOnce(id: string, attempts: number, wantLines: string[]): Promise<void> {
  for (let a = 1; a <= attempts; a++) {
    const job = `pipeline-${id}-${a}`;
    await jobGone(stack, job);
    assert.equal(jobsCreated(stack, job), 1, `${job} created exactly once`);
  }
  assert.equal(jobsCreated(stack, `pipeline-${id}-${attempts + 1}`), 0, 'no further attempt');
  const rows = await db.query<{ attempt: number }>(
    'select attempt from pipeline_attempts where pipeline_id = $1 order by attempt',
    [id],
  );
  assert.deepEqual(
    rows.rows.map((r) => r.attempt),
    Array.from({ length: attempts }, (_, i) => i + 1),
  );
  const repeated = await db.query(
    `select attempt, from_status, to_status, count(*)::int as n from pipeline_events
      where pipeline_id = $1 and kind = 'transition'
      group by attempt, from_status, to_status having count(*) > 1`,
    [id],
  );
  assert.deepEqual(repeated.rows, [], 'no transition recorded twice');
  const kinds = await db.query<{ kind: string; n: number }>(
    `select kind, count(*)::int as n from pipeline_events
      where pipeline_id = $1 and kind <> 'transition' group by kind, attempt having count(*) > 1`,
    [id],
  );
  assert.deepEqual(kinds.rows, [], 'no milestone (admitted, logs captured, job deleted) recorded twice');
  assert.deepEqual(await storedLines(stack, id), wantLines, 'each line stored once');
}

const gate = (name: string) => join(stack.dir, `gate-${name}`);

test('success: one attempt, one Job, logs once', async () => {
  const p = await submitGated(stack, gate('success'));
  await waitFor('the first line', async () =>
    (await storedLines(stack, p.id)).includes('first line') ? true : undefined,
  );
  writeFileSync(gate('success'), '');
  const done = await settled(stack, p.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  await assertOnce(p.id, 1, ['first line', 'second line']);
});

test('failure: a non-zero exit ends Failed with its reason, not retried', async () => {
  const missing = join(stack.dir, 'does-not-exist.txt');
  const p = await submit(stack, {
    pipeline_type: 'DataProcessing',
    config: { input_path: missing, output_path: join(stack.dir, 'never.txt') },
    priority: 'High',
    timeout_seconds: 120,
  });
  const done = await settled(stack, p.id);
  assert.equal(done.status, 'Failed');
  assert.match(done.reason ?? '', /exit(ed)? (with )?code 1/i, `reason: ${done.reason}`);
  await jobGone(stack, p.job_name);
  const lines = await storedLines(stack, p.id);
  assert.equal(lines.filter((l) => l.includes('error: input not found')).length, 1, lines.join('\n'));
  await assertOnce(p.id, 1, lines);
});

test('cancel: a running pipeline ends Cancelled with its partial logs, its Job deleted', async () => {
  const p = await submitGated(stack, gate('cancel-never-opened'));
  await waitFor('the first line', async () =>
    (await storedLines(stack, p.id)).includes('first line') ? true : undefined,
  );
  const res = await stack.api(`/pipelines/${p.id}/cancel`, { method: 'POST' });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await statusOf(stack, p.id)).status, 'Cancelled');
  await assertOnce(p.id, 1, ['first line']);
});

test('timeout: a pipeline that outlives timeout_seconds ends Timeout with what it printed', async () => {
  const p = await submitGated(stack, gate('timeout-never-opened'), { timeoutSeconds: 8 });
  // The workload must print its first line before the deadline: a python3 start takes 1-2 s on a
  // loaded 2-core machine, and the deadline counts from startTime rounded down to the second.
  const done = await settled(stack, p.id);
  assert.equal(done.status, 'Timeout', `reason: ${done.reason}`);
  await assertOnce(p.id, 1, ['first line']);
});

test('restart: a finished pipeline restarted runs once more, as attempt 2', async () => {
  const p = await submitGated(stack, gate('restart'));
  writeFileSync(gate('restart'), '');
  assert.equal((await settled(stack, p.id)).status, 'Succeeded');
  await jobGone(stack, p.job_name);
  const res = await stack.api(`/pipelines/${p.id}/restart`, { method: 'POST' });
  assert.equal(res.status, 200, await res.clone().text());
  await waitFor('attempt 2', async () => ((await statusOf(stack, p.id)).attempt === 2 ? true : undefined));
  const done = await settled(stack, p.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  const logs = await capturedLogs(stack, p.id);
  assert.deepEqual(
    logs.lines.map((l) => `${l.attempt}:${l.line}`),
    ['1:first line', '1:second line', '2:first line', '2:second line'],
  );
  await assertOnce(p.id, 2, ['first line', 'second line', 'first line', 'second line']);
});

test('two schedulers admit no more than the quota; a finished pipeline frees its slot for the next', async () => {
  const holding = async () =>
    (
      await db.query<{ n: number }>(
        `select count(*)::int as n from pipelines
          where status = 'Running' or (status = 'Queued' and admitted_at is not null)`,
      )
    ).rows[0]?.n;
  const ps: Created[] = [];
  for (let i = 0; i < MAX_RUNNING + 2; i++) ps.push(await submitGated(stack, gate(`quota-${i}`)));
  const running = async () => {
    const out: Created[] = [];
    for (const p of ps) if ((await storedLines(stack, p.id)).includes('first line')) out.push(p);
    return out;
  };
  const first = await waitFor('the quota to fill', async () => {
    const r = await running();
    return r.length >= MAX_RUNNING ? r : undefined;
  });
  assert.equal(first.length, MAX_RUNNING);
  assert.equal(await holding(), MAX_RUNNING);
  // Open the gates one at a time: each finished pipeline lets exactly one more in.
  const done = new Set<string>();
  for (let k = 0; k < ps.length; k++) {
    const r = await running();
    const next = r.find((p) => !done.has(p.id));
    assert.ok(next, 'a running pipeline to finish');
    assert.ok(((await holding()) ?? 0) <= MAX_RUNNING, 'never more than the quota');
    writeFileSync(gate(`quota-${ps.indexOf(next)}`), '');
    assert.equal((await settled(stack, next.id)).status, 'Succeeded');
    done.add(next.id);
    if (done.size < ps.length) {
      await waitFor('the next admission', async () =>
        (await running()).length > done.size ? true : undefined,
      );
    }
  }
  for (const p of ps) await assertOnce(p.id, 1, ['first line', 'second line']);
  // In the order the events were written (id), not by `at`: `at` is the writing transaction's start
  // (now()), and an admission's transaction may begin — then wait for the quota lock — before the
  // transition that frees its slot begins and commits, so by `at` the admission can come first. Its
  // 'admitted' row is inserted after it read that commit, so by id it always comes after.
  const overQuota = await db.query(
    `with deltas as (
       select id, at, 1 as d from pipeline_events where kind = 'admitted'
       union all
       select id, at, -1 from pipeline_events
        where kind = 'transition' and to_status in ('Succeeded', 'Failed', 'Timeout', 'Cancelled')
          and (from_status = 'Running' or from_status = 'Queued')
     )
     select id, at from (select id, at, sum(d) over (order by id) as held from deltas) s where held > $1`,
    [MAX_RUNNING],
  );
  assert.deepEqual(overQuota.rows, [], 'the event history never shows more admitted than the quota');
});
