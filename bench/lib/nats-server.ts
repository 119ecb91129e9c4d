/**
 * A nats-server of the bench's own (anonymous, JetStream in a temporary directory) with its
 * monitoring port on, so the messages and CPU counted are this run's only — the shared server on
 * 4222 serves every engineer's tests and has no monitoring port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@po/devstack';

export interface BenchNats {
  url: string;
  pid: number;
  /** /varz counters: messages published by clients (in) and delivered to them (out). */
  varz(): Promise<{ inMsgs: number; outMsgs: number }>;
  stop(): Promise<void>;
}

export async function startBenchNats(): Promise<BenchNats> {
  const [port, monitor] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'po-bench-nats-'));
  const child: ChildProcess = spawn(
    '/usr/sbin/nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', dir],
    { stdio: 'ignore' },
  );
  const varzUrl = `http://127.0.0.1:${monitor}/varz`;
  const varz = async () => {
    const v = (await (await fetch(varzUrl)).json()) as { in_msgs: number; out_msgs: number };
    return { inMsgs: v.in_msgs, outMsgs: v.out_msgs };
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode})`);
    try {
      await varz();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    varz,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
