import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { listDeadLetters, type OutboxRelay, provision, startOutboxRelay } from '@po/bus';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import { type NatsServer, startNats } from '@po/devstack';
import { waitFor } from '@po/testkit';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { natsDeadLetters } from '../service/dead-letters.ts';
import { dataProcessing } from '../testing/fixtures.ts';
import { createHarness, type Harness } from '../testing/harness.ts';
import { intakePipelineId, startIntake, submissionHandler } from './intake.ts';

describe('NATS intake', () => {
  let h: Harness;
  let nats: NatsServer;
  /** The gateway's own identity. */
  let nc: NatsConnection;
  /** The tenant svc-tenant's identity: it never sends a secret, the server vouches for it. */
  let svc: NatsConnection;
  let intake: { stop(): Promise<void> };
  let relay: OutboxRelay;
  const logger = pino({ level: 'silent' });

  before(async () => {
    h = await createHarness();
    const prefix = h.deps.subjects.prefix;
    nats = await startNats({ prefix, tenants: ['svc-tenant', 'other', 'full-queue'] });
    const provisioner = await nats.connect(nats.service('provisioner'));
    await provision(provisioner, prefix);
    await provisioner.close();
    nc = await nats.connect(nats.service('gateway'));
    svc = await nats.connect(nats.tenant('svc-tenant'));
    intake = startIntake({ nc, db: h.deps.db, subjects: h.deps.subjects, service: h.deps.service, logger });
    relay = startOutboxRelay({ db: h.deps.db, connectionString: h.dbUrl, nc, logger, pollMs: 100 });
  });
  after(async () => {
    await intake.stop();
    await relay.stop();
    await svc.close();
    await nc.close();
    await nats.stop();
    await h.close();
  });

  test('submit: a JetStream message on the tenant subject creates its pipeline (id from tenant + Nats-Msg-Id) and status notifications follow', async () => {
    const msgId = 'svc-order-1';
    const id = intakePipelineId('svc-tenant', msgId);
    const statuses: string[] = [];
    const sub = svc.subscribe(h.deps.subjects.pipelineStatus('svc-tenant', id), {
      callback: (_e, m) => {
        statuses.push((m.json() as { data: { to: string } }).data.to);
      },
    });
    await svc.flush();
    const js = jetstream(svc);
    const body = JSON.stringify(dataProcessing);
    await js.publish(h.deps.subjects.submit('svc-tenant'), body, { msgID: msgId });
    await js.publish(h.deps.subjects.submit('svc-tenant'), body, { msgID: msgId }); // duplicate: dropped
    const row = await waitFor('pipeline row', () =>
      h.deps.db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    assert.equal(row.tenant_id, 'svc-tenant');
    assert.equal(row.idempotency_key, msgId);
    await waitFor('Queued notification', async () => (statuses.includes('Queued') ? true : undefined));
    sub.unsubscribe();
  });

  test('submit: invalid messages are dead-lettered with the reason, redacted, never dropped; listed a page at a time', async () => {
    const js = jetstream(svc);
    const subject = h.deps.subjects.submit('svc-tenant');
    // The old protocol's secret in the body: refused, and kept nowhere in clear.
    await js.publish(subject, JSON.stringify({ ...dataProcessing, api_key: 'sk-secret-1' }), {
      msgID: 'legacy',
    });
    await js.publish(subject, JSON.stringify({ ...dataProcessing, priority: 'Nope' }), { msgID: 'bad-body' });
    await js.publish(subject, 'not json', { msgID: 'not-json' });
    const letters = await waitFor('3 dead letters', async () => {
      const l = (await listDeadLetters(nc, h.deps.subjects.prefix, { limit: 10 })).letters;
      return l.length >= 3 ? l : undefined;
    });
    const reasons = letters.map((l) => l.reason).join('\n');
    assert.match(reasons, /InvalidConfig: .*api_key/);
    assert.match(reasons, /InvalidConfig: .*priority/);
    assert.match(reasons, /not JSON/);
    assert.ok(!JSON.stringify(letters).includes('sk-secret-1'));
    // Visible over HTTP too, paged with a Link header like GET /pipelines.
    const { createApp } = await import('../app.ts');
    const app = createApp({
      ...h.deps,
      registry: new Registry(),
      deadLetters: natsDeadLetters({
        nc,
        subjects: h.deps.subjects,
        submit: submissionHandler({ db: h.deps.db, service: h.deps.service, logger }),
      }),
    });
    const auth = { headers: { authorization: `Bearer ${h.devKey}` } };
    const first = await app.request('/dead-letters?limit=2', auth);
    assert.equal(first.status, 200);
    const page1 = (await first.json()) as { seq: number; original_subject: string; payload: unknown }[];
    assert.equal(page1.length, 2);
    const link = first.headers.get('Link') ?? '';
    const next = /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
    assert.ok(next, link);
    const page2 = (await (await app.request(next, auth)).json()) as typeof page1;
    assert.ok(page2.length >= 1);
    assert.ok(page2.every((l) => l.seq < Math.min(...page1.map((p) => p.seq))));
    assert.ok([...page1, ...page2].every((l) => l.original_subject === subject));
    assert.ok(!JSON.stringify([...page1, ...page2]).includes('sk-secret-1'));
    assert.equal((await app.request('/dead-letters?cursor=abc', auth)).status, 400);
  });

  test('dead letters: a replayed submission creates its pipeline once (its key kept), a refused one answers why; delete discards, all audited and counted', async () => {
    const js = jetstream(svc);
    const subject = h.deps.subjects.submit('svc-tenant');
    await js.publish(subject, JSON.stringify({ ...dataProcessing, api_key: 'sk-secret-2' }), {
      msgID: 'replay-me',
    });
    const registry = new Registry();
    const { createApp } = await import('../app.ts');
    const app = createApp({
      ...h.deps,
      registry,
      deadLetters: natsDeadLetters({
        nc,
        subjects: h.deps.subjects,
        submit: submissionHandler({ db: h.deps.db, service: h.deps.service, logger }),
      }),
    });
    const auth = { authorization: `Bearer ${h.devKey}` };
    const all = async () =>
      (await (await app.request('/dead-letters?limit=100', { headers: auth })).json()) as {
        seq: number;
        reason: string;
        message_id?: string;
        payload: Record<string, unknown> | string;
      }[];
    const letter = await waitFor('the refused submission dead-lettered', async () =>
      (await all()).find((l) => l.message_id === 'replay-me'),
    );
    assert.equal((letter.payload as Record<string, unknown>).api_key, '[REDACTED]');
    const replay = (seq: number) =>
      app.request(`/dead-letters/${seq}/replay`, { method: 'POST', headers: auth });
    const id = intakePipelineId('svc-tenant', 'replay-me');
    const first = await replay(letter.seq);
    assert.equal(first.status, 200);
    const body = await first.json();
    assert.deepEqual(body, {
      seq: letter.seq,
      original_subject: subject,
      message_id: 'replay-me',
      via: 'intake',
      pipeline_id: id,
      created: true,
    });
    const seq = letter.seq;
    const again = await replay(seq);
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { ...body, created: false }, 'a second replay changes nothing');
    const rows = await h.deps.db
      .selectFrom('pipelines')
      .select(['id', 'tenant_id', 'idempotency_key'])
      .where('id', '=', id)
      .execute();
    assert.deepEqual(rows, [{ id, tenant_id: 'svc-tenant', idempotency_key: 'replay-me' }]);

    // A letter whose submission is still refused answers with the refusal; one cut or not JSON, 409.
    const badBody = (await all()).find((l) => l.reason.includes('priority'));
    assert.ok(badBody);
    const refused = await replay(badBody.seq);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as ErrorBody).type, 'InvalidConfig');
    const notJson = (await all()).find((l) => l.payload === 'not json');
    assert.ok(notJson);
    const conflict = await replay(notJson.seq);
    assert.equal(conflict.status, 409);
    assert.match(((await conflict.json()) as ErrorBody).error, /not JSON/);

    // Delete: gone from the list; twice, or a replay of it, is a 404; a bad id is a 400.
    const del = (s: number | string) =>
      app.request(`/dead-letters/${s}`, { method: 'DELETE', headers: auth });
    assert.equal((await del(seq)).status, 204);
    assert.ok(!(await all()).some((l) => l.seq === seq));
    assert.equal((await del(seq)).status, 404);
    assert.equal((await replay(seq)).status, 404);
    assert.equal((await del('abc')).status, 400);
    assert.equal((await del(999_999)).status, 404);

    // Operators only.
    const tenantAdmin = await h.req('POST', '/keys', { name: 'v', role: 'admin', tenant_id: 'acme' });
    assert.equal(tenantAdmin.status, 201);
    const key = ((await tenantAdmin.json()) as { key: string }).key;
    const other = await app.request(`/dead-letters/${notJson.seq}/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(other.status, 403);

    const audit = await h.deps.db
      .selectFrom('audit_log')
      .select(['action', 'target', 'outcome', 'status'])
      .where('action', 'in', ['dead_letter.replay', 'dead_letter.delete'])
      .where('target', '=', String(seq))
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audit.map((r) => [r.action, r.outcome, r.status]),
      [
        ['dead_letter.replay', 'ok', 200],
        ['dead_letter.replay', 'ok', 200],
        ['dead_letter.delete', 'ok', 204],
        ['dead_letter.delete', 'NotFound', 404],
        ['dead_letter.replay', 'NotFound', 404],
      ],
    );
    const metrics = await registry.metrics();
    assert.match(metrics, /po_gateway_dead_letters_total\{action="replay",outcome="created"\} 1/);
    assert.match(metrics, /po_gateway_dead_letters_total\{action="replay",outcome="existed"\} 1/);
    assert.match(metrics, /po_gateway_dead_letters_total\{action="delete",outcome="deleted"\} 1/);
    assert.match(metrics, /po_gateway_dead_letters_total\{action="replay",outcome="InvalidState"\} 1/);
  });

  test('request/reply: create, get and cancel answer like HTTP, as the tenant of the subject', async () => {
    const ask = async (op: 'create' | 'get' | 'cancel', body: unknown, tenant = 'svc-tenant', conn = svc) => {
      const m = await conn.request(h.deps.subjects.api(op, tenant), JSON.stringify(body), { timeout: 5000 });
      return { status: Number(m.headers?.get('Po-Status')), body: m.json() };
    };
    const created = await ask('create', { ...dataProcessing, idempotency_key: 'rr-1' });
    assert.equal(created.status, 201);
    const p = created.body as PipelineResponse;
    assert.equal(p.status, 'Queued');
    const again = await ask('create', { ...dataProcessing, idempotency_key: 'rr-1' });
    assert.equal(again.status, 200);
    assert.equal((again.body as PipelineResponse).id, p.id);
    const got = await ask('get', { id: p.id });
    assert.equal(got.status, 200);
    assert.equal((got.body as PipelineResponse).id, p.id);
    const cancelled = await ask('cancel', { id: p.id });
    assert.equal((cancelled.body as PipelineResponse).status, 'Cancelled');
    const twice = await ask('cancel', { id: p.id });
    assert.equal(twice.status, 409);
    assert.deepEqual(twice.body, { error: 'Pipeline in invalid state: Cancelled', type: 'InvalidState' });
    const other = await nats.connect(nats.tenant('other'));
    try {
      const theirs = await ask('get', { id: p.id }, 'other', other);
      assert.deepEqual(theirs.body as ErrorBody, { error: 'Pipeline not found', type: 'NotFound' });
    } finally {
      await other.close();
    }
    const bad = await ask('create', { ...dataProcessing, config: {} });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as ErrorBody).type, 'InvalidConfig');
    const legacy = await ask('get', { id: p.id, api_key: 'sk-anything' });
    assert.equal(legacy.status, 400, 'a secret in the body is not how a caller authenticates');
    const notJson = await svc.request(h.deps.subjects.api('get', 'svc-tenant'), 'nope', { timeout: 5000 });
    assert.equal((notJson.json() as ErrorBody).type, 'InvalidConfig');

    // A tenant whose queue is full is refused over NATS as over HTTP.
    assert.equal((await h.req('PUT', '/quotas/full-queue', { max_queued: 0 })).status, 200);
    const full = await nats.connect(nats.tenant('full-queue'));
    try {
      const refused = await ask('create', { ...dataProcessing }, 'full-queue', full);
      assert.equal(refused.status, 429);
      assert.equal((refused.body as ErrorBody).type, 'ResourceQuotaExceeded');
    } finally {
      await full.close();
    }
  });

  test('NATS create and cancel leave audit rows (with the change; refusals with their outcome)', async () => {
    await nats.addTenants('audited');
    const tenant = await nats.connect(nats.tenant('audited'));
    let p: PipelineResponse;
    try {
      const ask = async (op: 'create' | 'cancel', body: unknown) =>
        (
          await tenant.request(h.deps.subjects.api(op, 'audited'), JSON.stringify(body), { timeout: 5000 })
        ).json();
      p = (await ask('create', { ...dataProcessing })) as PipelineResponse;
      await ask('cancel', { id: p.id });
      await ask('cancel', { id: p.id });
      await jetstream(tenant).publish(h.deps.subjects.submit('audited'), JSON.stringify(dataProcessing), {
        msgID: 'audited-1',
      });
    } finally {
      await tenant.close();
    }
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
