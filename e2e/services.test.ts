/**
 * Every service: configuration parsed once and fatal when wrong (naming the variable), /health,
 * /ready and /metrics on its own port, a clean exit on SIGTERM, and no outliving its supervisor.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, SERVICES, startSystem } from '@po/devstack';
import { type Stack, startStack, waitFor } from './fixture.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('a service with bad configuration exits at once, naming the variable', async () => {
  await Promise.all(
    SERVICES.map(async (name) => {
      const r = await promisify(execFile)(process.execPath, [`apps/${name}/src/main.ts`], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATABASE_URL: 'not a url', NATS_URL: 'nats://127.0.0.1:4222' },
        timeout: 60_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code?: number; stderr?: string }) => ({ code: err.code, stderr: err.stderr ?? '' }),
      );
      assert.notEqual(r.code, 0, `${name} exit code`);
      assert.match(r.stderr, /invalid configuration: DATABASE_URL/, `${name} names the variable`);
    }),
  );
});

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

test('each service serves /health, /ready and /metrics, and stops cleanly on SIGTERM', async () => {
  for (const svc of stack.system.services.values()) {
    const base = `http://127.0.0.1:${svc.port}`;
    assert.equal((await fetch(`${base}/health`)).status, 200, `${svc.name} /health`);
    assert.equal((await fetch(`${base}/ready`)).status, 200, `${svc.name} /ready`);
    const ops = `http://127.0.0.1:${svc.opsPort}`;
    assert.equal((await fetch(`${ops}/ready`)).status, 200, `${svc.name} ops /ready`);
    const metrics = await fetch(`${ops}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^po_/m, `${svc.name} exposes po_ metrics`);
    // The gateway's public API port does not serve them.
    if (svc.name === 'gateway') assert.notEqual((await fetch(`${base}/metrics`)).status, 200);
  }
  for (const name of SERVICES) {
    assert.equal(await stack.system.kill(name, 'SIGTERM'), 0, `${name} exit code after SIGTERM`);
  }
});

/** A supervisor (like the dev command) that starts one service holding its stdin, then idles. */
const SUPERVISOR = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, [process.argv[1]], { stdio: ['pipe', 'inherit', 'inherit'], env: process.env });
console.log('service pid ' + child.pid);
setInterval(() => {}, 1000);
`;

test('a service whose supervisor is SIGKILLed stops by itself instead of living on as an orphan', async () => {
  const port = await freePort();
  const supervisor = spawn(process.execPath, ['-e', SUPERVISOR, 'apps/scheduler/src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: stack.databaseUrl,
      NATS_URL: stack.natsUrl,
      NATS_USER: stack.nats.service('scheduler').user,
      NATS_PASSWORD: stack.nats.service('scheduler').password,
      BUS_PREFIX: stack.busPrefix,
      OPS_PORT: String(port),
      STOP_WITH_PARENT: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  supervisor.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const pid = await waitFor(
    'the service pid',
    async () => Number(/service pid (\d+)/.exec(out)?.[1]) || undefined,
  );
  await waitFor('the service to be ready', () =>
    fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok || undefined,
      () => undefined,
    ),
  );
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  supervisor.kill('SIGKILL');
  await waitFor('the orphaned service to stop', async () => !alive() || undefined);
  assert.match(out, /"msg":"shutting down"/, 'it stopped through its normal shutdown');
  assert.match(out, /parent gone/);
});

test('starting a system never mistakes another process on its port for its own service', async () => {
  // Another process answers on the port the gateway is told to use, and says it is ready.
  const impostor = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(req.url === '/health' ? { status: 'ok', service: 'gateway' } : { status: 'ready' }),
    );
  });
  const port = await freePort();
  await new Promise<void>((resolve) => impostor.listen(port, '127.0.0.1', resolve));
  try {
    await assert.rejects(
      startSystem({
        databaseUrl: stack.databaseUrl,
        natsUrl: stack.natsUrl,
        natsCredentials: (name) => stack.nats.service(name),
        busPrefix: stack.busPrefix,
        kubeconfigPath: join(stack.dir, 'kubeconfig'),
        namespace: 'pipelines',
        devApiKey: 'impostor-test-key',
        gatewayPort: port,
        output: { dir: stack.dir },
      }),
      /gateway exited/,
    );
  } finally {
    impostor.close();
  }
});
