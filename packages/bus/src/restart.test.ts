/**
 * Survives a NATS restart. Runs its own nats-server (the shared one must not be restarted), on a free
 * port with a private store directory, and restarts it between two messages.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { CONSUMERS, PipelineQueued, streams, subjects } from '@po/contracts';
import { pino } from 'pino';
import { connectNats, provision, publish, startConsumer } from './index.ts';
import { queuedMessage, waitFor } from './testing.ts';

let dir: string;
let port: number;
let server: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function startServer(): Promise<void> {
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
    stdio: 'ignore',
  });
  server = child;
  await waitFor(async () => {
    try {
      const nc = await connectNats({ servers: `127.0.0.1:${port}`, name: 'probe' });
      await nc.close();
      return true;
    } catch {
      return false;
    }
  }, 'nats-server up');
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'po-nats-'));
  port = await freePort();
  await startServer();
});
after(async () => {
  await stopServer();
  await rm(dir, { recursive: true, force: true });
});

test('a consumer keeps consuming across a NATS restart', async () => {
  const prefix = 'restart';
  const s = subjects(prefix);
  const seen = new Set<string>();
  const nc = await connectNats({ servers: `127.0.0.1:${port}`, name: 'restart-test' });
  await provision(nc, prefix);
  const consumer = startConsumer({
    nc,
    stream: streams(prefix).commands,
    consumer: CONSUMERS.scheduler,
    schema: PipelineQueued,
    subjects: s,
    logger: pino({ level: 'silent' }),
    reopenDelayMs: 100,
    handler: async (m) => {
      seen.add(m.id);
    },
  });
  try {
    await publish(jetstream(nc), s.pipelineQueued, queuedMessage('before'));
    await waitFor(() => seen.has('before'), 'message before restart');

    await stopServer();
    await startServer();

    // The client reconnects by itself; publish until the stream accepts again.
    const js = jetstream(nc);
    await waitFor(
      async () => {
        try {
          await publish(js, s.pipelineQueued, queuedMessage('after'));
          return true;
        } catch {
          return false;
        }
      },
      'publish after restart',
      30_000,
    );
    await waitFor(() => seen.has('after'), 'message after restart', 60_000);
    assert.deepEqual([...seen].sort(), ['after', 'before']);
  } finally {
    await consumer.stop();
    await nc.close();
  }
});
