/**
 * A nats-server of our own, configured as production is: `infra/nats/nats-server.conf` with the
 * users and subject permissions `@po/bus` renders for a bus prefix (generated passwords), so the dev
 * command and every whole-system test run on an authenticated, authorised bus.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, natsUserOf, renderNatsAuth, type ServiceRole, serviceInbox } from '@po/bus';
import { subjects } from '@po/contracts';
import { freePort } from './ports.ts';

const SERVER_CONF = fileURLToPath(new URL('../../../infra/nats/nats-server.conf', import.meta.url));
const NATS_SERVER = '/usr/sbin/nats-server';
/** What nats-server logs once a SIGHUP's configuration reload is done. */
const RELOADED = 'Reloaded server configuration';

export interface NatsCredentials {
  user: string;
  password: string;
  /** The inbox prefix the user may read replies on. */
  inboxPrefix: string;
}

export interface NatsServer {
  url: string;
  prefix: string;
  /** A service role's identity (what its NATS_USER/NATS_PASSWORD are set to). */
  service(role: ServiceRole): NatsCredentials;
  /** A tenant's identity (added with `addTenants` or at start). */
  tenant(tenant: string): NatsCredentials;
  /** The operator's unrestricted identity: tests and tooling inspect streams with it, services never. */
  readonly operator: NatsCredentials;
  /** Connect as one of the above. */
  connect(who: NatsCredentials, name?: string): Promise<NatsConnection>;
  /** Issue NATS users for more tenants: re-render the users and reload the server (no restart). */
  addTenants(...tenants: string[]): Promise<void>;
  /** Stop and start the same server (same port, store and users): fault tests. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface StartNatsOptions {
  prefix: string;
  tenants?: string[];
  /** Default: a free port. */
  port?: number;
  /** Where the configuration and the JetStream store go; default a new temporary directory. */
  dir?: string;
}

const secret = () => randomBytes(18).toString('base64url');

export async function startNats(opts: StartNatsOptions): Promise<NatsServer> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'po-nats-'));
  mkdirSync(join(dir, 'store'), { recursive: true });
  const confPath = join(dir, 'nats-server.conf');
  // The store directory in the file, not -sd: with -sd on the command line nats-server refuses every reload.
  writeFileSync(
    confPath,
    readFileSync(SERVER_CONF, 'utf8').replace(
      'store_dir: "/data"',
      `store_dir: ${JSON.stringify(join(dir, 'store'))}`,
    ),
  );
  const passwords = new Map<string, string>();
  const passwordOf = (user: string) => {
    const pw = passwords.get(user) ?? secret();
    passwords.set(user, pw);
    return pw;
  };
  const tenants = new Set(opts.tenants ?? []);
  const operatorUser = `${opts.prefix}-operator`;
  const writeAuth = () =>
    writeFileSync(
      join(dir, 'auth.conf'),
      renderNatsAuth({
        prefix: opts.prefix,
        tenants: [...tenants],
        password: (who) => ({ value: passwordOf(natsUserOf(opts.prefix, who)) }),
        operator: { value: passwordOf(operatorUser) },
      }),
      { mode: 0o600 },
    );
  writeAuth();

  let child: ChildProcess | undefined;
  /** How many times the running server has said it reloaded its configuration. */
  let reloads = 0;
  const start = async () => {
    // Already running: a second server would lose the port to it, and `child` would name the loser.
    if (child && child.exitCode === null && child.signalCode === null) return;
    const proc = spawn(NATS_SERVER, ['-c', confPath, '-a', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let stderr = '';
    reloads = 0;
    proc.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr = (stderr + text).slice(-4000);
      reloads += text.split(RELOADED).length - 1;
    });
    const deadline = Date.now() + 15_000;
    while (!(await accepting(port))) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited (${proc.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  await start();

  const url = `nats://127.0.0.1:${port}`;
  const s = subjects(opts.prefix);
  const creds = (user: string, inboxPrefix: string): NatsCredentials => ({
    user,
    password: passwordOf(user),
    inboxPrefix,
  });
  const server: NatsServer = {
    url,
    prefix: opts.prefix,
    service: (role) => creds(natsUserOf(opts.prefix, { role }), serviceInbox(opts.prefix, role)),
    tenant: (tenant) => {
      if (!tenants.has(tenant)) throw new Error(`no NATS user for tenant ${tenant}; addTenants() first`);
      return creds(natsUserOf(opts.prefix, { tenant }), s.tenantInbox(tenant));
    },
    operator: creds(operatorUser, '_INBOX'),
    connect: (who, name = who.user) =>
      connectNats({
        servers: url,
        name,
        user: who.user,
        password: who.password,
        inboxPrefix: who.inboxPrefix,
      }),
    async addTenants(...more) {
      for (const t of more) tenants.add(t);
      writeAuth();
      // nats-server 2.9 may leave a client that connects while it reloads without an answer (seen
      // ~1 in 10 reloads: the dial hangs until its 20 s timeout), so nobody connects until the
      // server says it has reloaded; then a probe with a short timeout proves the new users work.
      const before = reloads;
      child?.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while (reloads === before) {
        if (Date.now() > deadline) throw new Error('nats-server did not reload its configuration');
        await new Promise((r) => setTimeout(r, 10));
      }
      const last = more.at(-1);
      if (!last) return;
      for (;;) {
        try {
          const who = server.tenant(last);
          await (
            await connectNats({
              servers: url,
              name: 'reload-probe',
              user: who.user,
              password: who.password,
              timeout: 2000,
            })
          ).close();
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    stop,
    start,
  };
  return server;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = tcpConnect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
