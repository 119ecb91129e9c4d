import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody, PipelineResponse } from '@po/contracts';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { dataProcessing, startRunning, storeLines } from '../testing/fixtures.ts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

/** Reads an SSE body until `until` matches what arrived so far. */
async function readUntil(res: Response, until: (text: string) => boolean): Promise<string> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let text = '';
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

/** Counts the statements that read pipeline_logs. */
class LogReads implements KyselyPlugin {
  count = 0;
  transformQuery(args: { node: RootOperationNode }): RootOperationNode {
    if (JSON.stringify(args.node).includes('"pipeline_logs"')) this.count += 1;
    return args.node;
  }
  async transformResult<T>(args: { result: T }): Promise<T> {
    return args.result;
  }
}

const POOL = 10; // createTestDatabase's pool
const POLL_MS = 40;

describe('SSE log followers are bounded', () => {
  let h: Harness;
  const reads = new LogReads();
  before(async () => {
    h = await createHarness({
      limits: {
        maxFollowersPerTenant: 3 * POOL,
        followPollMs: POLL_MS,
        followHeartbeatMs: 50,
        followIdleTimeoutMs: 60_000,
      },
      appDb: (db) => db.withPlugin(reads),
    });
  });
  after(() => h.close());

  test('more followers than pool connections share one poller; other requests still answer; heartbeats flow; the cap answers 429', async () => {
    const p = await json<PipelineResponse>(await h.req('POST', '/pipelines', dataProcessing));
    await startRunning(h.deps, p.id);
    const followers = await Promise.all(
      Array.from({ length: 3 * POOL }, () => h.req('GET', `/pipelines/${p.id}/logs?follow=true`)),
    );
    assert.ok(followers.every((r) => r.status === 200));
    // Each one got its status and a heartbeat comment while nothing happened.
    for (const f of followers)
      await readUntil(f, (t) => t.includes('event: status') && t.includes(': heartbeat'));

    // Others still answer while 30 followers (3x the pool) are open.
    assert.equal((await h.req('GET', `/pipelines/${p.id}`)).status, 200);
    assert.equal((await h.req('POST', '/pipelines', dataProcessing)).status, 201);

    // Beyond the cap: 429 with Retry-After, before any stream starts.
    const over = await h.req('GET', `/pipelines/${p.id}/logs?follow=true`);
    assert.equal(over.status, 429);
    assert.equal((await json<ErrorBody>(over)).type, 'ResourceQuotaExceeded');
    assert.ok(Number(over.headers.get('retry-after')) >= 1);

    // One poller for the pipeline, not one per follower: over a window, log reads stay within one per
    // poll interval (30 followers polling on their own would make 30 per interval).
    const before = reads.count;
    const start = performance.now();
    await new Promise((r) => setTimeout(r, 20 * POLL_MS));
    const intervals = (performance.now() - start) / POLL_MS;
    const used = reads.count - before;
    assert.ok(used <= 1.5 * intervals + 2, `${used} log reads in ${intervals.toFixed(1)} poll intervals`);

    // And a new line reaches every follower.
    await storeLines(h.deps.db, p.id, ['shared line']);
    for (const f of followers) await readUntil(f, (t) => t.includes('shared line'));
    for (const f of followers) await f.body?.cancel();
  });
});

describe('SSE idle timeout', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({
      limits: { followPollMs: 20, followHeartbeatMs: 1_000, followIdleTimeoutMs: 200 },
    });
  });
  after(() => h.close());

  test('a follower with nothing to read for the idle timeout gets `event: idle` and its slot back', async () => {
    const p = await json<PipelineResponse>(await h.req('POST', '/pipelines', dataProcessing));
    await startRunning(h.deps, p.id);
    const res = await h.req('GET', `/pipelines/${p.id}/logs?follow=true`);
    const text = await readUntil(res, () => false);
    assert.match(text, /event: idle/);
  });
});
