/**
 * The public API over a real socket against the whole system: the seed's example, restart as a new
 * attempt, list paging, tenancy, and the same operations over NATS for services that don't speak HTTP.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { subjects as subjectsFor } from '@po/contracts';
import { type Stack, startStack, waitFor } from './fixture.ts';
import { capturedLogs, settled, submit } from './pipelines.ts';

let stack: Stack;
let nc: NatsConnection;
let input: string;
before(async () => {
  stack = await startStack({ natsTenants: ['default'] });
  // Over NATS a service is tenant "default" by its NATS identity (no API key in any message).
  nc = await stack.nats.connect(stack.nats.tenant('default'));
  input = join(stack.dir, 'input.txt');
  writeFileSync(input, 'one\ntwo\n');
});
after(async () => {
  await nc?.close();
  await stack?.stop();
});

const body = (extra: Record<string, unknown> = {}) => ({
  pipeline_type: 'DataProcessing',
  config: { input_path: input, output_path: join(stack.dir, 'out.txt') },
  priority: 'High',
  ...extra,
});

test("the seed's request gets the seed's response shape, and a restart runs it again as attempt 2", async () => {
  const res = await stack.api('/pipelines', {
    method: 'POST',
    body: JSON.stringify(body({ timeout_seconds: 300 })),
  });
  assert.equal(res.status, 201);
  const created = (await res.json()) as Record<string, unknown>;
  for (const key of ['id', 'job_name', 'status', 'created_at', 'updated_at', 'config'])
    assert.ok(key in created, key);
  assert.equal(created.status, 'Queued');
  const id = String(created.id);
  assert.equal((await settled(stack, id)).status, 'Succeeded');

  const restarted = await stack.api(`/pipelines/${id}/restart`, { method: 'POST' });
  assert.equal(restarted.status, 200);
  const r = (await restarted.json()) as { status: string; attempt: number; job_name: string };
  assert.equal(r.attempt, 2);
  assert.match(r.job_name, /-2$/);
  assert.equal((await settled(stack, id)).status, 'Succeeded');
  const detail = (await (await stack.api(`/pipelines/${id}`)).json()) as { attempts: { attempt: number }[] };
  assert.deepEqual(
    detail.attempts.map((a) => a.attempt),
    [1, 2],
  );
  const lines = (await capturedLogs(stack, id)).lines.map((l) => l.line);
  assert.equal(
    lines.filter((l) => l.startsWith('done: 2 records')).length,
    2,
    'both attempts ran and kept logs',
  );
});

test('GET /pipelines pages newest first through the Link header, without repeats', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await submit(stack, body({ priority: 'Low' }))).id);
  const seen: string[] = [];
  let next: string | undefined = '/pipelines?limit=2&priority=Low';
  while (next) {
    const res = await stack.api(next);
    assert.equal(res.status, 200);
    const page = (await res.json()) as { id: string; priority: string }[];
    assert.ok(Array.isArray(page) && page.length <= 2);
    assert.ok(page.every((p) => p.priority === 'Low'));
    seen.push(...page.map((p) => p.id));
    const link = res.headers.get('link');
    const m = link ? /<([^>]+)>;\s*rel="next"/.exec(link) : null;
    next = m?.[1] ? new URL(m[1], 'http://x').pathname + new URL(m[1], 'http://x').search : undefined;
  }
  assert.deepEqual(seen, [...ids].reverse());
});

test("a tenant never sees another tenant's pipelines", async () => {
  const mine = await submit(stack, body());
  const res = await stack.api('/keys', {
    method: 'POST',
    body: JSON.stringify({ name: 'acme ci', role: 'submitter', tenant_id: 'acme' }),
  });
  assert.equal(res.status, 201);
  const { key } = (await res.json()) as { key: string };
  const asAcme = (path: string, init: RequestInit = {}) =>
    stack.api(path, { ...init, headers: { authorization: `Bearer ${key}` } });

  const peek = await asAcme(`/pipelines/${mine.id}`);
  assert.equal(peek.status, 404);
  assert.deepEqual(await peek.json(), { error: 'Pipeline not found', type: 'NotFound' });
  assert.equal((await asAcme(`/pipelines/${mine.id}/cancel`, { method: 'POST' })).status, 404);
  assert.deepEqual(await (await asAcme('/pipelines')).json(), []);
  const keys = await asAcme('/keys');
  assert.equal(keys.status, 403, 'a submitter cannot manage keys');
});

test('over NATS: request/reply create and get answer like HTTP, and status notifications follow the pipeline', async () => {
  const s = subjectsFor(stack.busPrefix);
  const statuses = new Map<string, string[]>();
  const sub = nc.subscribe(s.tenantStatus('default'), {
    callback: (_err, m) => {
      const msg = m.json<{ pipelineId: string; data: { to: string } }>();
      statuses.set(msg.pipelineId, [...(statuses.get(msg.pipelineId) ?? []), msg.data.to]);
    },
  });
  try {
    const ask = async (op: 'create' | 'get' | 'cancel', payload: Record<string, unknown>) => {
      const m = await nc.request(s.api(op, 'default'), JSON.stringify(payload), { timeout: 10_000 });
      return { status: Number(m.headers?.get('Po-Status')), body: m.json<Record<string, unknown>>() };
    };
    const created = await ask('create', { ...body() });
    assert.equal(created.status, 201);
    const id = String(created.body.id);
    await waitFor('status notifications to reach Succeeded', async () =>
      statuses.get(id)?.includes('Succeeded') ? true : undefined,
    );
    assert.deepEqual(statuses.get(id), ['Queued', 'Running', 'Succeeded']);
    const got = await ask('get', { id });
    assert.equal(got.status, 200);
    assert.equal(got.body.status, 'Succeeded');
    const invalid = await ask('create', { ...body({ priority: 'Urgent' }) });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.type, 'InvalidConfig');
    const unknown = await ask('get', { id: '00000000-0000-4000-8000-000000000000' });
    assert.deepEqual(unknown, { status: 404, body: { error: 'Pipeline not found', type: 'NotFound' } });
  } finally {
    sub.unsubscribe();
  }
});
