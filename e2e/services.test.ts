/**
 * Every service: configuration parsed once and fatal when wrong (naming the variable), /health,
 * /ready and /metrics on its own port, and a clean exit on SIGTERM.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SERVICES } from '@po/devstack';
import { type Stack, startStack } from './fixture.ts';

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
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^po_/m, `${svc.name} exposes po_ metrics`);
  }
  for (const name of SERVICES) {
    assert.equal(await stack.system.kill(name, 'SIGTERM'), 0, `${name} exit code after SIGTERM`);
  }
});
