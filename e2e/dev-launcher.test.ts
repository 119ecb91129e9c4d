/**
 * The dev launcher (what scripts/dev.sh execs): a service that dies is restarted and the restart
 * reported; SIGTERM to the launcher stops every service and kube-sim, leaving no process behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dropDatabase, freePort } from '@po/devstack';
import { waitFor } from './fixture.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The launcher's child processes, from ps: with `services`, only the services (not nats-server). */
function childrenOf(pid: number, services = true): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && (!services || l.includes('apps/')))
      .map((l) => Number(l.split(/\s+/)[0]));
  } catch {
    return []; // ps exits 1 when there are none
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the dev launcher restarts a service killed with SIGKILL, and SIGTERM stops everything', async () => {
  const id = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), `po-dev-${id}-`));
  const databaseUrl = `postgres://root@127.0.0.1:5432/po_dev_${id}`;
  const busPrefix = `v${id}`;
  const dev = spawn(process.execPath, [join(ROOT, 'scripts/dev.ts')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: databaseUrl,
      BUS_PREFIX: busPrefix,
      PORT: String(await freePort()),
      KUBE_SIM_PORT: String(await freePort()),
      DEV_API_KEY: `key-${id}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  dev.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  dev.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = once(dev, 'exit');
  try {
    await waitFor('the launcher to be up', async () => out.includes('Pipeline Operator is up.'), 180_000);
    assert.match(out, new RegExp(`export PO_URL=http://\\S+ PO_API_KEY=key-${id}\\n\\s+pnpm exec po submit`));
    const pid = dev.pid ?? 0;
    const services = childrenOf(pid);
    assert.equal(services.length, 5, `five services: ${services.join(' ')}\n${out}`);

    const victim = services[0] ?? 0;
    process.kill(victim, 'SIGKILL');
    await waitFor('the restart to be reported', async () => /restarted \(instance/.test(out), 120_000);
    assert.match(out, /exited \(SIGKILL\) after [\d.]+ s; restart #1 in 500 ms/);
    const now = childrenOf(pid);
    assert.equal(now.length, 5, 'five services again');
    assert.ok(!now.includes(victim));
    const all = childrenOf(pid, false);
    assert.ok(all.length > now.length, 'and its own nats-server');

    dev.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, out);
    for (const p of all) await waitFor(`process ${p} to exit`, async () => !alive(p), 30_000);
  } finally {
    if (dev.exitCode === null && dev.signalCode === null) {
      dev.kill('SIGKILL');
      await exited;
    }
    await dropDatabase(databaseUrl);
  }
});
