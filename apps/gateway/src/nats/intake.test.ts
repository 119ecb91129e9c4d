import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import {
  connectNats,
  deleteStreams,
  listDeadLetters,
  type OutboxRelay,
  provision,
  startOutboxRelay,
} from '@po/bus';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import { waitFor } from '@po/testkit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { dataProcessing } from '../testing/fixtures.ts';
import { createHarness, type Harness } from '../testing/harness.ts';
import { intakePipelineId, startIntake } from './intake.ts';

describe('NATS intake', () => {
  let h: Harness;
  let nc: NatsConnection;
  let intake: { stop(): Promise<void> };
  let relay: OutboxRelay;
  let apiKey: string;
  const logger = pino({ level: 'silent' });

  before(async () => {
    h = await createHarness();
    nc = await connectNats({ servers: 'nats://127.0.0.1:4222', name: 'gateway-intake-test' });
    await provision(nc, h.deps.subjects.prefix);
    apiKey = await h.key('svc-tenant', 'submitter');
    const { service } = h.deps;
    intake = startIntake({
      nc,
      db: h.deps.db,
      subjects: h.deps.subjects,
      service,
      keys: h.deps.keys,
      logger,
    });
    relay = startOutboxRelay({ db: h.deps.db, connectionString: h.dbUrl, nc, logger, pollMs: 100 });
  });
  after(async () => {
    await intake.stop();
    await relay.stop();
    await deleteStreams(nc, h.deps.subjects.prefix);
    await nc.close();
    await h.close();
  });

  test('submit: a JetStream message creates the pipeline (id derived from tenant + Nats-Msg-Id) and status notifications follow', async () => {
    const msgId = 'svc-order-1';
    const id = intakePipelineId('svc-tenant', msgId);
    const statuses: string[] = [];
    const sub = nc.subscribe(h.deps.subjects.pipelineStatus(id), {
      callback: (_e, m) => {
        statuses.push((m.json() as { data: { to: string } }).data.to);
      },
    });
    await nc.flush();
    const js = jetstream(nc);
    const body = JSON.stringify({ ...dataProcessing, api_key: apiKey });
    await js.publish(h.deps.subjects.submit, body, { msgID: msgId });
    await js.publish(h.deps.subjects.submit, body, { msgID: msgId }); // duplicate: dropped by JetStream
    const row = await waitFor('pipeline row', () =>
      h.deps.db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    assert.equal(row.tenant_id, 'svc-tenant');
    assert.equal(row.idempotency_key, msgId);
    await waitFor('Queued notification', async () => (statuses.includes('Queued') ? true : undefined));
    sub.unsubscribe();
  });

  test('submit: invalid messages are dead-lettered with the reason, never dropped', async () => {
    const js = jetstream(nc);
    await js.publish(h.deps.subjects.submit, JSON.stringify({ ...dataProcessing, api_key: 'wrong' }), {
      msgID: 'bad-key',
    });
    await js.publish(
      h.deps.subjects.submit,
      JSON.stringify({ ...dataProcessing, priority: 'Nope', api_key: apiKey }),
      {
        msgID: 'bad-body',
      },
    );
    await js.publish(h.deps.subjects.submit, 'not json', { msgID: 'not-json' });
    const letters = await waitFor('3 dead letters', async () => {
      const l = await listDeadLetters(nc, h.deps.subjects.prefix, 10);
      return l.length >= 3 ? l : undefined;
    });
    const reasons = letters.map((l) => l.reason).join('\n');
    assert.match(reasons, /Unauthorized/);
    assert.match(reasons, /InvalidConfig: .*priority/);
    assert.match(reasons, /not JSON/);
    // Visible over HTTP too.
    const { createApp } = await import('../app.ts');
    const app = createApp({
      ...h.deps,
      registry: new Registry(),
      deadLetters: (limit) => listDeadLetters(nc, h.deps.subjects.prefix, limit),
    });
    const res = await app.request('/dead-letters', { headers: { authorization: `Bearer ${h.devKey}` } });
    assert.equal(res.status, 200);
    const listed = (await res.json()) as { reason: string; original_subject: string }[];
    assert.ok(listed.length >= 3);
    assert.ok(listed.every((l) => l.original_subject === h.deps.subjects.submit));
  });

  test('request/reply: create, get and cancel answer like HTTP, with the same error kinds', async () => {
    const ask = async (op: 'create' | 'get' | 'cancel', body: unknown) => {
      const m = await nc.request(h.deps.subjects.api(op), JSON.stringify(body), { timeout: 5000 });
      return { status: Number(m.headers?.get('Po-Status')), body: m.json() };
    };
    const created = await ask('create', { ...dataProcessing, api_key: apiKey, idempotency_key: 'rr-1' });
    assert.equal(created.status, 201);
    const p = created.body as PipelineResponse;
    assert.equal(p.status, 'Queued');
    const again = await ask('create', { ...dataProcessing, api_key: apiKey, idempotency_key: 'rr-1' });
    assert.equal(again.status, 200);
    assert.equal((again.body as PipelineResponse).id, p.id);
    const got = await ask('get', { api_key: apiKey, id: p.id });
    assert.equal(got.status, 200);
    assert.equal((got.body as PipelineResponse).id, p.id);
    const cancelled = await ask('cancel', { api_key: apiKey, id: p.id });
    assert.equal((cancelled.body as PipelineResponse).status, 'Cancelled');
    const twice = await ask('cancel', { api_key: apiKey, id: p.id });
    assert.equal(twice.status, 409);
    assert.deepEqual(twice.body, { error: 'Pipeline in invalid state: Cancelled', type: 'InvalidState' });
    const other = await ask('get', { api_key: await h.key('other', 'viewer'), id: p.id });
    assert.deepEqual(other.body as ErrorBody, { error: 'Pipeline not found', type: 'NotFound' });
    const bad = await ask('create', { ...dataProcessing, config: {}, api_key: apiKey });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as ErrorBody).type, 'InvalidConfig');
    const anon = await ask('get', { id: p.id });
    assert.equal(anon.status, 401);
    const h2 = natsHeaders();
    const notJson = await nc.request(h.deps.subjects.api('get'), 'nope', { timeout: 5000, headers: h2 });
    assert.equal((notJson.json() as ErrorBody).type, 'InvalidConfig');

    // A tenant whose queue is full is refused over NATS as over HTTP.
    const fullKey = await h.key('full-queue', 'submitter');
    assert.equal((await h.req('PUT', '/quotas/full-queue', { max_queued: 0 })).status, 200);
    const refused = await ask('create', { ...dataProcessing, api_key: fullKey });
    assert.equal(refused.status, 429);
    assert.equal((refused.body as ErrorBody).type, 'ResourceQuotaExceeded');
  });

  test('NATS create and cancel leave audit rows (with the change; refusals with their outcome)', async () => {
    const key = await h.key('audited', 'submitter');
    const ask = async (op: 'create' | 'cancel', body: unknown) =>
      (await nc.request(h.deps.subjects.api(op), JSON.stringify(body), { timeout: 5000 })).json();
    const p = (await ask('create', { ...dataProcessing, api_key: key })) as PipelineResponse;
    await ask('cancel', { api_key: key, id: p.id });
    await ask('cancel', { api_key: key, id: p.id });
    const js = jetstream(nc);
    await js.publish(h.deps.subjects.submit, JSON.stringify({ ...dataProcessing, api_key: key }), {
      msgID: 'audited-1',
    });
    const submitted = intakePipelineId('audited', 'audited-1');
    const rows = await waitFor('four audit rows', async () => {
      const r = await h.deps.db
        .selectFrom('audit_log')
        .select(['action', 'target', 'outcome', 'status', 'actor'])
        .where('tenant_id', '=', 'audited')
        .orderBy('id')
        .execute();
      return r.length >= 4 ? r : undefined;
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.target, r.outcome, r.status]),
      [
        ['pipeline.create', p.id, 'ok', 201],
        ['pipeline.cancel', p.id, 'ok', 200],
        ['pipeline.cancel', null, 'InvalidState', 409],
        ['pipeline.create', submitted, 'ok', 201],
      ],
    );
  });
});
