/**
 * The bus as an attacker meets it (issue 9): no credentials, no connection; a service's credentials
 * can forge a command but not its content; a tenant's NATS identity reaches only its own subjects;
 * no credential at rest in any stream.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjects as subjectsFor } from '@po/contracts';
import pg from 'pg';
import { jobsCreated, NAMESPACE, type Stack, startStack, waitFor } from './fixture.ts';
import { capturedLogs, settled, submit, tenantAdmin } from './pipelines.ts';

let stack: Stack;
let input: string;
before(async () => {
  stack = await startStack({ natsTenants: ['acme', 'globex'] });
  input = join(stack.dir, 'input.txt');
  writeFileSync(input, 'one\ntwo\n');
});
after(() => stack?.stop());

const body = () => ({
  pipeline_type: 'DataProcessing',
  config: { input_path: input, output_path: join(stack.dir, `out-${randomUUID()}.txt`) },
  priority: 'High',
});

/** A job.create as an attacker writes it: the pipeline's id, and their own image, command, namespace. */
const forgedCreate = (pipelineId: string, attempt: number) => ({
  id: `forged-${randomUUID()}`,
  type: 'job.create',
  version: 1,
  occurredAt: new Date().toISOString(),
  pipelineId,
  attempt,
  data: {
    jobName: `pipeline-${pipelineId}-${attempt}`,
    namespace: 'default',
    timeoutSeconds: 60,
    job: {
      template: 'data-processing',
      image: 'evil.example/root:latest',
      command: ['sh', '-c', 'echo PWNED; id'],
      args: [],
      env: {},
      resources: { cpu_request: '1', memory_request: '1Gi', cpu_limit: '1', memory_limit: '1Gi' },
      backoffLimit: 0,
    },
  },
});

/** The job-runner's count of create commands by outcome (from its /metrics). */
async function creates(outcome: string): Promise<number> {
  const port = stack.system.services.get('job-runner')?.port;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('po_job_runner_operations_total') &&
        l.includes(`outcome="${outcome}"`) &&
        l.includes('operation="create"'),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Waits for the next permission violation the server reports on `nc`. */
async function violation(nc: NatsConnection, act: () => unknown): Promise<string> {
  const seen = (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error') return String(s.error);
    }
    return 'closed';
  })();
  await act();
  await nc.flush();
  return seen;
}

test('a client without credentials is refused by the NATS server: no forged job.create reaches the bus', async () => {
  await assert.rejects(connect({ servers: stack.natsUrl, reconnect: false }), /Authorization Violation/i);
  await assert.rejects(
    connect({ servers: stack.natsUrl, user: 'po-scheduler', pass: 'guess', reconnect: false }),
    /Authorization Violation/i,
  );
});

test("a forged job.create with a service's credentials runs nothing but the database's Job", async () => {
  const s = subjectsFor(stack.busPrefix);
  const nc = await stack.nats.connect(stack.nats.service('scheduler'));
  const js = jetstream(nc);
  try {
    // A paused tenant's queued pipeline: not admitted, so no Job at all.
    const paused = await tenantAdmin(stack, 'paused');
    const set = await stack.api('/quotas/paused', {
      method: 'PUT',
      body: JSON.stringify({ max_running: 0 }),
    });
    assert.equal(set.status, 200);
    const waiting = await submit(paused, body());
    const skippedBefore = await creates('skipped');
    await js.publish(s.jobCreate, JSON.stringify(forgedCreate(waiting.id, 1)));
    await waitFor('the forged create handled', async () => (await creates('skipped')) > skippedBefore);
    const inDefault = await stack.batch.listNamespacedJob({ namespace: 'default' });
    assert.deepEqual(inDefault.items, [], 'no Job in namespace default');
    const ours = await stack.batch.listNamespacedJob({ namespace: NAMESPACE });
    assert.ok(!ours.items.some((j) => j.metadata?.name === waiting.job_name));

    // An admitted pipeline: whatever the message says, the Job is the database's rendered spec.
    const real = await submit(stack, body());
    await js.publish(s.jobCreate, JSON.stringify(forgedCreate(real.id, 1)));
    assert.equal((await settled(stack, real.id)).status, 'Succeeded');
    const lines = (await capturedLogs(stack, real.id)).lines.map((l) => l.line);
    assert.ok(!lines.some((l) => l.includes('PWNED')), lines.join('\n'));
    assert.deepEqual((await stack.batch.listNamespacedJob({ namespace: 'default' })).items, []);
  } finally {
    await nc.close();
  }
});

test("a tenant's NATS user reaches only its own subjects", async () => {
  const s = subjectsFor(stack.busPrefix);
  const acme = await stack.nats.connect(stack.nats.tenant('acme'));
  try {
    assert.match(
      await violation(acme, () => acme.publish(s.submit('globex'), JSON.stringify(body()))),
      /Permissions Violation for Publish/i,
    );
    assert.match(
      await violation(acme, () => acme.subscribe(s.tenantStatus('globex'))),
      /Permissions Violation for Subscription/i,
    );
    assert.match(
      await violation(acme, () => acme.publish(s.jobCreate, '{}')),
      /Permissions Violation for Publish/i,
    );
    assert.match(
      await violation(acme, () => acme.subscribe('_INBOX.>')),
      /Permissions Violation for Subscription/i,
    );
    // Its own subjects work: a submit becomes acme's pipeline, and acme hears its statuses.
    const statuses: string[] = [];
    acme.subscribe(s.tenantStatus('acme'), {
      callback: (_e, m) => void statuses.push(m.json<{ data: { to: string } }>().data.to),
    });
    await acme.flush();
    const reply = await acme.request(s.api('create', 'acme'), JSON.stringify(body()), { timeout: 10_000 });
    assert.equal(reply.headers?.get('Po-Status'), '201');
    const id = reply.json<{ id: string }>().id;
    await waitFor('acme hears Succeeded', async () => statuses.includes('Succeeded') || undefined);
    // The operator's API sees it as acme's; globex cannot read it over NATS.
    const globex = await stack.nats.connect(stack.nats.tenant('globex'));
    try {
      const other = await globex.request(s.api('get', 'globex'), JSON.stringify({ id }), { timeout: 10_000 });
      assert.equal(other.headers?.get('Po-Status'), '404');
    } finally {
      await globex.close();
    }
  } finally {
    await acme.close();
  }
});

test('an api_key in a NATS submission is refused and stays nowhere: not in any stream, redacted in dead letters', async () => {
  const s = subjectsFor(stack.busPrefix);
  const acme = await stack.nats.connect(stack.nats.tenant('acme'));
  const secret = stack.apiKey;
  try {
    await jetstream(acme).publish(s.submit('acme'), JSON.stringify({ ...body(), api_key: secret }), {
      msgID: `legacy-${randomUUID()}`,
    });
  } finally {
    await acme.close();
  }
  const res = await waitFor('the refusal in the dead letters', async () => {
    const r = await stack.api('/dead-letters?limit=1');
    const letters = (await r.json()) as { reason: string; payload: Record<string, unknown> }[];
    return letters[0]?.reason.includes('api_key') ? letters : undefined;
  });
  assert.equal(res[0]?.payload.api_key, '[REDACTED]');
  const op = await stack.nats.connect(stack.nats.operator);
  try {
    const jsm = await jetstreamManager(op);
    for await (const info of jsm.streams.list()) {
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
        const m = await jsm.streams.getMessage(info.config.name, { seq }).catch(() => null);
        assert.ok(!m?.string().includes(secret), `a credential at rest in ${info.config.name} #${seq}`);
      }
    }
  } finally {
    await op.close();
  }
});

test('a dead-lettered submission replayed once creates its pipeline once; replayed twice, still one', async () => {
  const s = subjectsFor(stack.busPrefix);
  const key = `replay-${randomUUID()}`;
  const acme = await stack.nats.connect(stack.nats.tenant('acme'));
  try {
    // Refused (a credential in the body) and dead-lettered, redacted.
    await jetstream(acme).publish(s.submit('acme'), JSON.stringify({ ...body(), api_key: stack.apiKey }), {
      msgID: key,
    });
  } finally {
    await acme.close();
  }
  const letter = await waitFor('the submission dead-lettered', async () => {
    const letters = (await (await stack.api('/dead-letters?limit=20')).json()) as {
      seq: number;
      message_id?: string;
      payload: Record<string, unknown>;
    }[];
    return letters.find((l) => l.message_id === key);
  });
  assert.equal(letter.payload.api_key, '[REDACTED]');

  const replay = async () => {
    const res = await stack.api(`/dead-letters/${letter.seq}/replay`, { method: 'POST' });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { pipeline_id: string; created: boolean; message_id: string; via: string };
  };
  const first = await replay();
  assert.equal(first.via, 'intake');
  assert.equal(first.message_id, key, 'the replay keeps the idempotency key');
  assert.equal(first.created, true);
  const acmeAdmin = await tenantAdmin(stack, 'acme');
  const done = await settled(acmeAdmin, first.pipeline_id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);

  const second = await replay();
  assert.deepEqual(second, { ...first, created: false }, 'a second replay changes nothing');
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const rows = await db.query(
      "select id, status, attempt from pipelines where tenant_id = 'acme' and idempotency_key = $1",
      [key],
    );
    assert.deepEqual(rows.rows, [{ id: first.pipeline_id, status: 'Succeeded', attempt: 1 }]);
  } finally {
    await db.end();
  }
  assert.equal(jobsCreated(stack, `pipeline-${first.pipeline_id}-1`), 1, 'one Job ever');

  // Settled: the operator discards it.
  assert.equal((await stack.api(`/dead-letters/${letter.seq}`, { method: 'DELETE' })).status, 204);
  assert.equal((await stack.api(`/dead-letters/${letter.seq}/replay`, { method: 'POST' })).status, 404);
});
