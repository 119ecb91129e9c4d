/**
 * Chaos: two replicas of every service run ~300 pipelines of mixed scenarios while, at moments
 * drawn from a seed, every replica is SIGKILLed and restarted, NATS restarts, Postgres drops
 * every connection and kube-sim fails requests, cuts and expires watches and restarts. Afterwards
 * every pipeline must have ended as its scenario dictates, with exactly the attempts it dictates,
 * one Job ever created per attempt, its logs stored, a legal event history, nothing left behind.
 *
 * The seed is printed; CHAOS_SEED=<seed> replays the same plan. CHAOS_PIPELINES scales the run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ALLOWED_FROM, jobNameFor, type PipelineStatus } from '@po/contracts';
import { waitFor as poll } from '@po/testkit';
import { NAMESPACE } from '../fixture.ts';
import { describe, type Plan, type PlannedPipeline, plan, type Scenario } from './schedule.ts';
import { CHAOS_SCRIPT, startWorld, type World } from './world.ts';

const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PIPELINES = Number(process.env.CHAOS_PIPELINES ?? 300);
const REPLICAS = 2;
const PLAN: Plan = plan(SEED, {
  pipelines: PIPELINES,
  windowMs: Math.max(10_000, PIPELINES * 200),
  replicas: REPLICAS,
  killsPerReplica: 2,
  faultsPerKind: 2,
});

const EXPECTED: Record<Scenario, { status: PipelineStatus; attempts: number }> = {
  succeed: { status: 'Succeeded', attempts: 1 },
  'succeed-process': { status: 'Succeeded', attempts: 1 },
  fail: { status: 'Failed', attempts: 1 },
  evict: { status: 'Succeeded', attempts: 1 },
  timeout: { status: 'Timeout', attempts: 1 },
  cancel: { status: 'Cancelled', attempts: 1 },
  restart: { status: 'Succeeded', attempts: 2 },
};

let world: World;

before(async () => {
  process.stdout.write(`chaos: seed ${SEED} (replay with CHAOS_SEED=${SEED}), ${PIPELINES} pipelines\n`);
  world = await startWorld(REPLICAS);
  const res = await world.api('/templates', {
    method: 'POST',
    body: JSON.stringify({
      name: 'chaos',
      description: 'runs for a while (fast mode, or a real process) and exits with a given code',
      image: 'python:3.11-slim',
      command: ['python3', '-c'],
      args: [CHAOS_SCRIPT],
      env: { CHAOS_MODE: '{{mode}}', CHAOS_DURATION_MS: '{{duration_ms}}', CHAOS_EXIT_CODE: '{{exit_code}}' },
      resources: { cpu_request: '10m', memory_request: '16Mi', cpu_limit: '500m', memory_limit: '256Mi' },
      configSchema: {
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['fast', 'process', 'evict'] },
          duration_ms: { type: 'string', pattern: '^[0-9]{1,7}$', maxLength: 7 },
          exit_code: { type: 'string', pattern: '^[0-9]{1,3}$', maxLength: 3 },
        },
        required: ['mode', 'duration_ms', 'exit_code'],
        additionalProperties: false,
      },
      backoffLimit: 0,
      defaultTimeoutSeconds: 300,
    }),
  });
  assert.equal(res.status, 201, await res.text());
});

after(async () => {
  await world?.stop();
});

/** Retries what a careful client retries: network errors, 5xx, 429. Same request, same key. */
async function call(path: string, init: RequestInit, ok: number[]): Promise<Response> {
  const deadline = Date.now() + 120_000;
  for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      const res = await world.api(path, init);
      if (ok.includes(res.status)) return res;
      if (res.status < 500 && res.status !== 429)
        throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(`${init.method ?? 'GET'} ${path}:`)) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${path} never answered ${ok.join('/')}`);
    await delay(wait);
  }
}

/** Kubernetes reads from the test itself also meet the injected faults: retried likewise. */
async function kube<T>(what: () => Promise<T>): Promise<T> {
  return poll('a Kubernetes read through the faults', what, 60_000, 200);
}

interface Tracked extends PlannedPipeline {
  id: string;
}

async function submit(p: PlannedPipeline): Promise<Tracked> {
  const res = await call(
    '/pipelines',
    {
      method: 'POST',
      headers: { 'idempotency-key': `chaos-${SEED}-${p.index}` },
      body: JSON.stringify({
        pipeline_type: { Custom: { template: 'chaos' } },
        config: {
          mode: p.scenario === 'succeed-process' ? 'process' : p.scenario === 'evict' ? 'evict' : 'fast',
          duration_ms: String(p.durationMs),
          exit_code: p.scenario === 'fail' ? '3' : '0',
        },
        priority: (['Low', 'Normal', 'High', 'Critical'] as const)[p.index % 4],
        timeout_seconds: p.scenario === 'timeout' ? 2 + (p.index % 3) : 300,
      }),
    },
    [200, 201],
  );
  return { ...p, id: ((await res.json()) as { id: string }).id };
}

interface Row {
  status: PipelineStatus;
  attempt: number;
}

async function row(id: string): Promise<Row> {
  const r = await world.db.query<Row>('select status, attempt from pipelines where id = $1', [id]);
  const found = r.rows[0];
  if (!found) throw new Error(`pipeline ${id} not found`);
  return found;
}

const terminal = (s: PipelineStatus) => s !== 'Queued' && s !== 'Running';

/** What the scenario does to its pipeline after submitting it. */
async function drive(p: Tracked): Promise<void> {
  switch (p.scenario) {
    case 'cancel':
      await delay(p.actAfterMs);
      await call(`/pipelines/${p.id}/cancel`, { method: 'POST' }, [200, 202]);
      return;
    case 'evict': {
      const job = jobNameFor(p.id, 1);
      const pod = await poll(
        `a Running pod of ${job} to evict`,
        async () => {
          const pods = await world.core.listNamespacedPod({
            namespace: NAMESPACE,
            labelSelector: `batch.kubernetes.io/job-name=${job}`,
          });
          return pods.items.find((x) => x.status?.phase === 'Running')?.metadata?.name;
        },
        120_000,
        100,
      );
      // Its pod runs until evicted (see world.ts): the eviction always meets a running pod.
      await kube(() =>
        world.core.createNamespacedPodEviction({
          name: pod,
          namespace: NAMESPACE,
          body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: NAMESPACE } },
        }),
      );
      return;
    }
    case 'restart': {
      await poll(
        `${p.id} to succeed before its restart`,
        async () => terminal((await row(p.id)).status),
        180_000,
        100,
      );
      await call(`/pipelines/${p.id}/restart`, { method: 'POST' }, [200, 201, 202]);
      return;
    }
    default:
      return;
  }
}

test(`chaos: ${PIPELINES} pipelines, two replicas of everything, faults at random moments`, async () => {
  const started = Date.now();
  const problems: string[] = [];
  const at = (ms: number) => delay(Math.max(0, started + ms - Date.now()));
  const faulting = Promise.allSettled(
    PLAN.faults.map(async ({ atMs, fault }) => {
      await at(atMs);
      process.stdout.write(`chaos +${((Date.now() - started) / 1000).toFixed(1)}s: ${describe(fault)}\n`);
      try {
        await world.inflict(fault);
      } catch (err) {
        problems.push(
          `${describe(fault)}: ${String(err)}${err instanceof Error && err.cause ? ` (${String(err.cause)})` : ''}`,
        );
      }
    }),
  );
  const driven = await Promise.allSettled(
    PLAN.pipelines.map(async (p) => {
      await at(p.atMs);
      const t = await submit(p);
      try {
        await drive(t);
      } catch (err) {
        problems.push(`pipeline ${p.index} (${p.scenario}, ${t.id}): ${String(err)}`);
      }
      return t;
    }),
  );
  await faulting;
  const tracked: Tracked[] = [];
  for (const [i, d] of driven.entries()) {
    if (d.status === 'fulfilled') tracked.push(d.value);
    else problems.push(`pipeline ${PLAN.pipelines[i]?.index} never accepted: ${String(d.reason)}`);
  }

  // Settle: every pipeline ends, with the attempts its scenario dictates (one patience for all).
  const unsettled = new Set(tracked);
  const settleBy = Date.now() + 180_000;
  while (unsettled.size > 0 && Date.now() < settleBy) {
    const rows = await world.db.query<Row & { id: string }>('select id, status, attempt from pipelines');
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    for (const p of unsettled) {
      const r = byId.get(p.id);
      if (r && terminal(r.status) && r.attempt >= EXPECTED[p.scenario].attempts) unsettled.delete(p);
    }
    if (unsettled.size > 0) await delay(500);
  }
  for (const p of unsettled) {
    const r = await row(p.id);
    problems.push(
      `pipeline ${p.index} (${p.scenario}, ${p.id}) never ended: ${r.status}, attempt ${r.attempt}`,
    );
  }
  await poll(
    'every Job and pod to be deleted',
    async () => {
      const [jobs, pods] = await Promise.all([
        world.batch.listNamespacedJob({ namespace: NAMESPACE }),
        world.core.listNamespacedPod({ namespace: NAMESPACE }),
      ]);
      return jobs.items.length === 0 && pods.items.length === 0;
    },
    120_000,
    500,
  );
  await poll(
    'the outbox to drain',
    async () =>
      Number(
        (await world.db.query('select count(*) from outbox where published_at is null')).rows[0].count,
      ) === 0,
    60_000,
    200,
  );

  const creations = world.sim.creations;
  let attempts = 0;
  for (const p of tracked) {
    const expected = EXPECTED[p.scenario];
    const r = await row(p.id);
    const where = `pipeline ${p.index} (${p.scenario}, ${p.id})`;
    if (r.status !== expected.status || r.attempt !== expected.attempts) {
      const reason = (await world.db.query('select reason from pipelines where id = $1', [p.id])).rows[0]
        ?.reason;
      problems.push(
        `${where}: ${r.status} after ${r.attempt} attempt(s) (${reason}); expected ${expected.status} after ${expected.attempts}`,
      );
    }
    attempts += r.attempt;
    const rows = (
      await world.db.query<{ attempt: number; job_created_at: Date | null; logs_captured_at: Date | null }>(
        'select attempt, job_created_at, logs_captured_at from pipeline_attempts where pipeline_id = $1 order by attempt',
        [p.id],
      )
    ).rows;
    for (let a = 1; a <= r.attempt + 1; a++) {
      const job = jobNameFor(p.id, a);
      const made = creations.get(`jobs/${NAMESPACE}/${job}`) ?? 0;
      const attemptRow = rows.find((x) => x.attempt === a);
      const mayLackJob = p.scenario === 'cancel';
      if (a > r.attempt) {
        if (made !== 0) problems.push(`${where}: a Job for attempt ${a}, which does not exist`);
        continue;
      }
      if (made > 1 || (made === 0 && !mayLackJob))
        problems.push(`${where}: attempt ${a}'s Job created ${made} times`);
      if (made === 1 && !attemptRow?.logs_captured_at)
        problems.push(`${where}: attempt ${a}'s logs never stored`);
      const pods = [...creations].filter(([k]) => k.startsWith(`pods/${NAMESPACE}/${job}-`)).length;
      const expectedPods = p.scenario === 'evict' ? 2 : 1;
      if (
        made === 1 &&
        (p.scenario === 'cancel' || p.scenario === 'timeout' ? pods > 1 : pods !== expectedPods)
      )
        problems.push(`${where}: attempt ${a} ran ${pods} pod(s), expected ${expectedPods}`);
    }
    if (expected.status === 'Succeeded' || expected.status === 'Failed') {
      const lines = Number(
        (
          await world.db.query(
            "select count(*) from pipeline_logs where pipeline_id = $1 and line = 'chaos run'",
            [p.id],
          )
        ).rows[0].count,
      );
      if (lines < r.attempt)
        problems.push(`${where}: ${lines} 'chaos run' line(s) stored for ${r.attempt} attempt(s)`);
    }
    const history = (
      await world.db.query<{ from_status: PipelineStatus | null; to_status: PipelineStatus }>(
        "select from_status, to_status from pipeline_events where pipeline_id = $1 and kind = 'transition' order by id",
        [p.id],
      )
    ).rows;
    let state: PipelineStatus | null = null;
    for (const e of history) {
      const legal =
        e.from_status === state &&
        (state === null ? e.to_status === 'Queued' : ALLOWED_FROM[e.to_status].includes(state));
      if (!legal) {
        problems.push(
          `${where}: illegal history ${history.map((h) => `${h.from_status}->${h.to_status}`).join(', ')}`,
        );
        break;
      }
      state = e.to_status;
    }
    if (state !== r.status) problems.push(`${where}: history ends at ${state}, pipeline is ${r.status}`);
  }
  const deadLetters = await (await call('/dead-letters?limit=100', {}, [200])).json();
  const letters = Array.isArray(deadLetters)
    ? deadLetters
    : ((deadLetters as { items?: unknown[] }).items ?? []);
  if (letters.length > 0) problems.push(`dead letters: ${JSON.stringify(letters).slice(0, 2_000)}`);

  const jobs = [...creations.keys()].filter((k) => k.startsWith('jobs/')).length;
  const kills = PLAN.faults.filter((f) => f.fault.kind === 'kill').length;
  process.stdout.write(
    `chaos summary: seed=${SEED} pipelines=${tracked.length} kills=${kills} faults=${PLAN.faults.length - kills} ` +
      `attempts=${attempts} jobs_created=${jobs} problems=${problems.length} in ${((Date.now() - started) / 1000).toFixed(0)}s\n`,
  );
  assert.deepEqual(problems, [], `seed ${SEED}: replay with CHAOS_SEED=${SEED}; logs in ${world.dir}`);
});
