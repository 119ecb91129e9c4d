import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { serve } from '@hono/node-server';
import { connectNats, deleteStreams, provision } from '@po/bus';
import type { PipelineResponse } from '@po/contracts';
import { GatewayEnv } from './config.ts';
import { startGateway } from './server.ts';
import { dataProcessing, finish, startRunning, storeLines } from './testing/fixtures.ts';
import { createHarness, type Harness, json } from './testing/harness.ts';

/** Reads SSE events from a fetch body as they arrive. */
async function* sseEvents(res: Response): AsyncGenerator<{ event: string; data: string; id?: string }> {
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new Error('no body');
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let i = buf.indexOf('\n\n');
    while (i >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev: { event: string; data: string; id?: string } = { event: 'message', data: '' };
      for (const line of block.split('\n')) {
        const [k, ...rest] = line.split(':');
        const v = rest.join(':').replace(/^ /, '');
        if (k === 'event') ev.event = v;
        else if (k === 'data') ev.data += v;
        else if (k === 'id') ev.id = v;
      }
      yield ev;
      i = buf.indexOf('\n\n');
    }
  }
}

describe('over a real socket', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  before(async () => {
    h = await createHarness();
    server = serve({ fetch: h.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    if (!server.listening) await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await h.close();
  });

  test('GET /pipelines/:id/logs?follow=true streams lines while the pod runs and ends with the pipeline', async () => {
    const auth = { authorization: `Bearer ${h.devKey}`, 'content-type': 'application/json' };
    const p = await json<PipelineResponse>(
      await fetch(`${base}/pipelines`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(dataProcessing),
      }),
    );
    await startRunning(h.deps, p.id);
    await storeLines(h.deps.db, p.id, ['line 1']);
    const res = await fetch(`${base}/pipelines/${p.id}/logs?follow=true`, { headers: auth });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = sseEvents(res);
    const next = async () => {
      const r = await events.next();
      if (r.done) throw new Error('stream ended early');
      return r.value;
    };
    assert.deepEqual(JSON.parse((await next()).data), { status: 'Running' });
    const first = await next();
    assert.equal(first.event, 'log');
    assert.equal(JSON.parse(first.data).line, 'line 1');
    // Still running: a line stored now reaches the open stream.
    await storeLines(h.deps.db, p.id, ['line 2'], { at: new Date('2026-01-01T00:01:00Z') });
    const second = await next();
    assert.equal(JSON.parse(second.data).line, 'line 2');
    await finish(h.deps, p.id, 'Succeeded');
    let ev = await next();
    if (ev.event === 'status') {
      assert.deepEqual(JSON.parse(ev.data), { status: 'Succeeded' });
      ev = await next();
    }
    assert.equal(ev.event, 'end');
    assert.deepEqual(JSON.parse(ev.data), { status: 'Succeeded', truncated: false });
    assert.equal((await events.next()).done, true);
  });
});

describe('main composition (startGateway)', () => {
  test('serves the API on PORT with the DEV_API_KEY, reports ready once its stream exists, and stops cleanly', async () => {
    const h = await createHarness();
    const nc = await connectNats({ servers: 'nats://127.0.0.1:4222', name: 'server-test' });
    try {
      const config = GatewayEnv.parse({
        DATABASE_URL: h.dbUrl,
        BUS_PREFIX: h.deps.subjects.prefix,
        PORT: '0',
        OPS_PORT: '0',
        DEV_API_KEY: 'dev-key-for-test',
        LOG_LEVEL: 'silent',
      });
      const gw = await startGateway(config);
      try {
        const base = `http://127.0.0.1:${gw.port}`;
        // Its intake stream and consumer do not exist yet: not ready (they come from provisioning).
        const before = await fetch(`${base}/ready`);
        assert.equal(before.status, 503);
        const checks = ((await before.json()) as { checks: Record<string, string> }).checks;
        assert.match(checks['consumer gateway-intake'] ?? '', /not found/i);
        await provision(nc, h.deps.subjects.prefix);
        assert.equal((await fetch(`${base}/ready`)).status, 200);
        const res = await fetch(`${base}/pipelines`, {
          method: 'POST',
          headers: { authorization: 'Bearer dev-key-for-test', 'content-type': 'application/json' },
          body: JSON.stringify(dataProcessing),
        });
        assert.equal(res.status, 201);
        const p = await json<PipelineResponse>(res);
        const got = await fetch(`${base}/pipelines/${p.id}`, {
          headers: { authorization: 'Bearer dev-key-for-test' },
        });
        assert.equal(got.status, 200);
      } finally {
        await gw.stop();
      }
    } finally {
      await deleteStreams(nc, h.deps.subjects.prefix).catch(() => {});
      await nc.close();
      await h.close();
    }
  });

  test('config fails fast naming the variable', () => {
    const r = GatewayEnv.safeParse({ DATABASE_URL: 'nope', PORT: 'x' });
    assert.equal(r.success, false);
    const paths = r.error?.issues.map((i) => i.path.join('.')) ?? [];
    assert.ok(paths.includes('DATABASE_URL') && paths.includes('PORT'));
  });
});
