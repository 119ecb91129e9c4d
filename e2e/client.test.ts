/**
 * @po/client against the whole system: every operation of the gateway's /openapi.json, the seed's
 * error kinds as typed errors, paging through Link, live logs that survive a dropped connection,
 * waiting with a timeout and an abort signal, and the NATS submit helper.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type CreatePipelineRequest,
  createClient,
  isPoApiError,
  type LogEvent,
  PoApiError,
  type PoClient,
  WaitTimeoutError,
} from '@po/client';
import { GENERATED_PATH, renderTypes } from '@po/client/codegen';
import { submitOverNats } from '@po/client/nats';
import { type Stack, startStack, waitFor } from './fixture.ts';
import { GATED_TEMPLATE } from './pipelines.ts';

let stack: Stack;
let client: PoClient;
let input: string;
/** Every request the client made: "METHOD /path". */
const calls: { method: string; path: string }[] = [];

before(async () => {
  stack = await startStack({ natsTenants: ['default'] });
  input = join(stack.dir, 'input.txt');
  writeFileSync(input, 'one\ntwo\n');
  const recording: typeof fetch = (req, init) => {
    const r = req instanceof Request ? req : new Request(req, init);
    calls.push({ method: r.method, path: new URL(r.url).pathname });
    return fetch(req, init);
  };
  client = createClient({ baseUrl: stack.system.gatewayUrl, apiKey: stack.apiKey, fetch: recording });
});
after(async () => {
  await stack?.stop();
});

const dataProcessing = (extra: Partial<CreatePipelineRequest> = {}): CreatePipelineRequest => ({
  pipeline_type: 'DataProcessing',
  config: { input_path: input, output_path: join(stack.dir, `out-${randomUUID()}.txt`) },
  priority: 'High',
  timeout_seconds: 120,
  ...extra,
});

async function rejects<T>(p: Promise<T>, type: PoApiError['type'], status: number): Promise<PoApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isPoApiError(err, type), `expected ${type}, got ${String(err)}`);
    assert.equal(err.status, status);
    assert.ok(err instanceof PoApiError && err.message.length > 0);
    return err;
  }
  assert.fail(`expected ${type}`);
}

test("the generated types match the running gateway's /openapi.json", async () => {
  const served = await client.openApiDocument();
  assert.ok(
    (await renderTypes(served)) === (await readFile(GENERATED_PATH, 'utf8')),
    'stale: run `pnpm --filter @po/client generate`',
  );
});

test('health and readiness', async () => {
  assert.equal((await client.health()).status, 'ok');
  const ready = await client.ready();
  assert.equal(ready.ready, true, JSON.stringify(ready));
});

test('create (idempotent), wait, get, events, stored logs and restart', async () => {
  const key = `client-${randomUUID()}`;
  const body = dataProcessing();
  const created = await client.createPipeline(body, { idempotencyKey: key });
  assert.equal(created.status, 'Queued');
  const replay = await client.createPipeline(body, { idempotencyKey: key });
  assert.equal(replay.id, created.id, 'the same key answers the same pipeline');
  await rejects(client.createPipeline(dataProcessing(), { idempotencyKey: key }), 'InvalidState', 409);

  const seen: string[] = [];
  const done = await client.waitForTerminal(created.id, {
    timeoutMs: 90_000,
    onStatus: (p) => seen.push(p.status),
  });
  assert.equal(done.status, 'Succeeded');
  assert.equal(seen.at(-1), 'Succeeded');
  const detail = await client.getPipeline(created.id);
  assert.equal(detail.attempts.length, 1);
  const events = await client.events(created.id);
  assert.deepEqual(
    events.flatMap((e) => (e.to === null ? [] : [e.to])),
    ['Queued', 'Running', 'Succeeded'],
  );
  // The final capture is stored after the terminal status: wait until the logs say so.
  const logs = await waitFor('the logs captured', async () => {
    const l = await client.logs(created.id);
    return l.attempts.every((a) => a.captured) ? l : undefined;
  });
  assert.ok(
    logs.lines.some((l) => l.line.startsWith('done: 2 records')),
    JSON.stringify(logs.lines),
  );

  const restarted = await client.restartPipeline(created.id);
  assert.equal(restarted.attempt, 2);
  assert.equal((await client.waitForTerminal(created.id, { timeoutMs: 90_000 })).status, 'Succeeded');
  assert.equal((await client.logs(created.id, { attempt: 2 })).attempts.length, 1);
});

test('lists page through the Link header without repeats', async () => {
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) ids.add((await client.createPipeline(dataProcessing({ priority: 'Low' }))).id);
  const first = await client.listPipelines({ priority: 'Low', limit: 2 });
  assert.equal(first.items.length, 2);
  assert.ok(first.next?.cursor, 'a next page');
  const all: string[] = [];
  for await (const p of client.pipelines({ priority: 'Low', limit: 2 })) all.push(p.id);
  assert.equal(new Set(all).size, all.length, 'no repeats');
  for (const id of ids) assert.ok(all.includes(id), id);
  for (const id of ids) await client.waitForTerminal(id, { timeoutMs: 90_000 });
});

test('the seed error kinds arrive as typed errors', async () => {
  await rejects(client.getPipeline(randomUUID()), 'NotFound', 404);
  await rejects(
    client.createPipeline({ ...dataProcessing(), priority: 'Urgent' as 'High' }),
    'InvalidConfig',
    400,
  );
  const p = await client.createPipeline(dataProcessing());
  await client.waitForTerminal(p.id, { timeoutMs: 90_000 });
  await rejects(client.cancelPipeline(p.id), 'InvalidState', 409);
  const stranger = createClient({ baseUrl: stack.system.gatewayUrl, apiKey: 'not-a-key' });
  await rejects(stranger.listPipelines(), 'Unauthorized', 401);

  const viewer = await client.createKey({ name: 'viewer', role: 'viewer' });
  const asViewer = createClient({ baseUrl: stack.system.gatewayUrl, apiKey: viewer.key });
  await rejects(asViewer.createPipeline(dataProcessing()), 'Forbidden', 403);

  const acme = await client.createKey({ name: 'acme-admin', role: 'admin', tenant_id: 'acme' });
  const asAcme = createClient({ baseUrl: stack.system.gatewayUrl, apiKey: acme.key });
  const q = await client.setQuota('acme', { max_queued: 0 });
  assert.equal(q.max_queued, 0);
  const full = await rejects(asAcme.createPipeline(dataProcessing()), 'ResourceQuotaExceeded', 429);
  assert.ok((full.retryAfterSeconds ?? 0) >= 1, 'Retry-After is read');
  assert.equal((await asAcme.quota()).max_queued, 0);
  const own = await client.quota();
  assert.equal(own.tenant_id, 'default');
  assert.equal(own.overrides.max_queued, null, "acme's quota is acme's only");
});

test('templates: create, get, list, apply a new version, delete', async () => {
  const created = await client.createTemplate(GATED_TEMPLATE);
  assert.equal(created.name, 'gated');
  assert.equal((await client.getTemplate('gated')).version, created.version);
  assert.ok((await client.listTemplates()).some((t) => t.name === 'data-processing'));

  const scratch = { ...GATED_TEMPLATE, name: 'scratch' };
  const first = await client.applyTemplate('scratch', scratch);
  assert.equal(first.created, true);
  const second = await client.applyTemplate('scratch', { ...scratch, description: 'v2' });
  assert.equal(second.created, false);
  assert.equal(second.template.version, first.template.version + 1);
  const versions = await client.templateVersions('scratch');
  assert.deepEqual(
    versions.map((v) => v.version),
    [second.template.version, first.template.version],
    'newest first',
  );
  assert.equal(
    (await client.templateVersion('scratch', first.template.version)).version,
    first.template.version,
  );
  await rejects(client.templateVersion('scratch', 999), 'NotFound', 404);
  await client.deleteTemplate('scratch');
  await rejects(client.getTemplate('scratch'), 'NotFound', 404);
  await rejects(client.deleteTemplate('data-processing'), 'InvalidState', 409);
});

test('keys: create, list, whoami, revoke', async () => {
  assert.deepEqual(await client.whoami(), {
    tenant_id: 'default',
    role: 'admin',
    key_id: null,
    key_name: 'dev-key',
  });
  const k = await client.createKey({ name: 'ci', role: 'submitter' });
  assert.ok((await client.listKeys()).some((x) => x.id === k.id && x.revoked_at === null));
  const asCi = createClient({ baseUrl: stack.system.gatewayUrl, apiKey: k.key });
  assert.deepEqual(await asCi.whoami(), {
    tenant_id: 'default',
    role: 'submitter',
    key_id: k.id,
    key_name: 'ci',
  });
  await client.revokeKey(k.id);
  assert.ok((await client.listKeys()).some((x) => x.id === k.id && x.revoked_at !== null));
  await rejects(asCi.quota(), 'Unauthorized', 401);
  await rejects(asCi.whoami(), 'Unauthorized', 401);
});

/** A TCP proxy in front of the gateway whose connections the test can cut. */
async function startProxy(target: string): Promise<{ url: string; cut(): number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = tcpConnect(Number(port), hostname);
    for (const s of [down, up]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut: () => {
      const n = open.size;
      for (const s of open) s.destroy();
      return n;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('following logs: lines arrive while the pod runs, and a dropped connection resumes after the last line', async () => {
  const gate = join(stack.dir, `gate-${randomUUID()}`);
  const p = await client.createPipeline({
    pipeline_type: { Custom: { template: 'gated' } },
    config: { gate_path: gate },
    priority: 'Normal',
    timeout_seconds: 120,
  });
  const proxy = await startProxy(stack.system.gatewayUrl);
  try {
    const viaProxy = createClient({ baseUrl: proxy.url, apiKey: stack.apiKey });
    const events: LogEvent[] = [];
    for await (const ev of viaProxy.followLogs(p.id, { retryMs: 50 })) {
      events.push(ev);
      if (ev.type === 'log' && ev.line.line === 'first line') {
        // The workload waits for the gate: this line came while its pod runs.
        assert.equal((await client.getPipeline(p.id)).status, 'Running');
        assert.ok(proxy.cut() > 0, 'the stream was open through the proxy');
        writeFileSync(gate, '');
      }
    }
    const lines = events.flatMap((e) => (e.type === 'log' ? [e.line.line] : []));
    assert.deepEqual(lines, ['first line', 'second line'], 'each line once, in order');
    const reconnect = events.find((e) => e.type === 'reconnect');
    assert.ok(
      reconnect && reconnect.type === 'reconnect' && reconnect.lastEventId,
      'resumed with Last-Event-ID',
    );
    assert.deepEqual(events.at(-1), { type: 'end', status: 'Succeeded', truncated: false });
  } finally {
    await proxy.close();
  }
});

test('waiting for a terminal status ends at its timeout or its abort signal; cancel ends the pipeline', async () => {
  const gate = join(stack.dir, `never-${randomUUID()}`);
  const p = await client.createPipeline({
    pipeline_type: { Custom: { template: 'gated' } },
    config: { gate_path: gate },
    priority: 'Normal',
    timeout_seconds: 120,
  });
  await assert.rejects(client.waitForTerminal(p.id, { timeoutMs: 300, pollMs: 50 }), WaitTimeoutError);
  const ac = new AbortController();
  const waiting = client.waitForTerminal(p.id, { signal: ac.signal, pollMs: 50 });
  ac.abort(new Error('stop waiting'));
  await assert.rejects(waiting, /stop waiting/);
  assert.equal((await client.cancelPipeline(p.id)).status, 'Cancelled');
  assert.equal((await client.waitForTerminal(p.id, { timeoutMs: 30_000 })).status, 'Cancelled');
});

test('over NATS: a submit with Nats-Msg-Id yields its status notifications; a refused one is a dead letter', async () => {
  const nc: NatsConnection = await stack.nats.connect(stack.nats.tenant('default'));
  try {
    const key = `nats-${randomUUID()}`;
    const sub = await submitOverNats(nc, {
      prefix: stack.busPrefix,
      tenant: 'default',
      idempotencyKey: key,
      request: dataProcessing(),
    });
    assert.equal(sub.duplicate, false);
    const seen: string[] = [];
    for await (const s of sub.statuses) seen.push(s.data.to);
    assert.deepEqual(seen, ['Queued', 'Running', 'Succeeded']);
    assert.equal((await client.getPipeline(sub.id)).status, 'Succeeded', 'the id is the pipeline over HTTP');
    const again = await submitOverNats(nc, {
      prefix: stack.busPrefix,
      tenant: 'default',
      idempotencyKey: key,
      request: dataProcessing(),
    });
    again.stop();
    assert.equal(again.id, sub.id);
    assert.equal(again.duplicate, true);

    // A NATS client trims header values: a key with white space around it would reach the gateway as
    // another key (and another pipeline id). Refused before anything is sent (fuzz seed 298091363).
    await assert.rejects(
      submitOverNats(nc, {
        prefix: stack.busPrefix,
        tenant: 'default',
        idempotencyKey: `${key}\f`,
        request: dataProcessing(),
      }),
      (err: Error) =>
        err instanceof TypeError &&
        /idempotencyKey: must be printable ASCII without spaces/.test(err.message),
    );
    const bad = await submitOverNats(nc, {
      prefix: stack.busPrefix,
      tenant: 'default',
      idempotencyKey: `bad-${randomUUID()}`,
      request: { ...dataProcessing(), priority: 'Urgent' as 'High' },
    });
    bad.stop();
  } finally {
    await nc.close();
  }
  const letter = await waitFor('the refused submission among the dead letters', async () => {
    for await (const d of client.deadLetters({ limit: 1 })) if (d.reason.includes('InvalidConfig')) return d;
    return undefined;
  });
  assert.match(letter.subject, /dlq/);
  // Replayed, the submission is refused again for the same reason; deleted, it is gone.
  await rejects(client.replayDeadLetter(String(letter.seq)), 'InvalidConfig', 400);
  await client.deleteDeadLetter(String(letter.seq));
  await rejects(client.deleteDeadLetter(String(letter.seq)), 'NotFound', 404);
});

test('every operation of /openapi.json was called through the client', async () => {
  const doc = (await client.openApiDocument()) as { paths: Record<string, Record<string, unknown>> };
  const missing: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    const re = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const method of Object.keys(ops))
      if (!calls.some((c) => c.method === method.toUpperCase() && re.test(c.path)))
        missing.push(`${method.toUpperCase()} ${path}`);
  }
  assert.deepEqual(missing, []);
});
