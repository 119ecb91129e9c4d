/**
 * Load test for POST /pipelines: starts the gateway as its own process (apps/gateway/src/main.ts) on a
 * fresh database and bus prefix, then
 *   1. fixed rate: RATE req/s for DURATION s (open loop: requests are sent on schedule whatever the
 *      latency), reporting p50/p90/p99/max latency;
 *   2. saturation: CONCURRENCY requests in flight for DURATION s, reporting accepted pipelines/s,
 *      then a fixed rate of a third of that for DURATION s (issue 14, goal 3: p99 there);
 * Before each phase it waits until the relay has published the outbox (the previous phase's
 * messages), and after each it prints the CPU ms per request of the gateway, Postgres and NATS.
 * Run: pnpm exec node bench/gateway-load.ts [--rate 500] [--duration 10] [--concurrency 64]
 *   [--cpu-prof DIR]  (writes the gateway process's V8 CPU profile to DIR on exit)
 *   [--pgbench-clients 16] [--floor]
 *   --concurrency 0 skips the saturation phase; --pgbench-clients 0 the pgbench phase.
 * 4. --floor: the same saturation against bench/lib/http-floor.ts (Node's HTTP server answering 201 and
 *    doing nothing else): the most any Node gateway could accept with this load generator here.
 * 3. pgbench: the same Postgres inserting one row per transaction into a table like a small
 *    pipelines table (uuid key, tenant, jsonb, timestamp, one index) for DURATION s — the rate the
 *    gateway's accepted pipelines/s is compared with (issue 14, goal 3).
 * The gateway comes from PO_SUT_ROOT when set (bench/lib/sut.ts; bench/compare.sh); NATS is a
 * nats-server of the bench's own. Prints one `BENCH_JSON {...}` line last.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printBenchJson } from './lib/bench-json.ts';
import { startBenchNats } from './lib/nats-server.ts';
import { cpuOf } from './lib/proc.ts';
import { bus, devstack, SUT_ROOT, db as sutDb } from './lib/sut.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    duration: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '64' },
    'cpu-prof': { type: 'string' },
    /** Saturate with wrk (a native client, so the load generator takes less of the 2 cores). */
    wrk: { type: 'boolean', default: false },
    'pgbench-clients': { type: 'string', default: '16' },
    /** Also saturate bench/lib/http-floor.ts (Node's HTTP server and nothing else) the same way. */
    floor: { type: 'boolean', default: false },
  },
});
const RATE = Number(values.rate);
const DURATION_S = Number(values.duration);
const CONCURRENCY = Number(values.concurrency);
const PGBENCH_CLIENTS = Number(values['pgbench-clients']);
const load1m = loadavg()[0] ?? Number.NaN;

const id = randomBytes(4).toString('hex');
const dbName = `po_bench_${id}`;
const databaseUrl = `postgres://root@127.0.0.1:5432/${dbName}`;
const prefix = `b${id}`;
const key = `bench-${randomBytes(8).toString('hex')}`;
const port = await devstack.freePort();

await devstack.prepareDatabase(databaseUrl);
const nats = await startBenchNats();
const nc = await bus.connectNats({ servers: nats.url, name: 'bench' });
await bus.provision(nc, prefix);
const profileArgs = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
const gateway: ChildProcess = spawn(process.execPath, [...profileArgs, 'apps/gateway/src/main.ts'], {
  cwd: SUT_ROOT,
  env: {
    PATH: process.env.PATH,
    DATABASE_URL: databaseUrl,
    NATS_URL: nats.url,
    BUS_PREFIX: prefix,
    PORT: String(port),
    OPS_PORT: '0',
    DEV_API_KEY: key,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_IP_PER_SECOND: '1000000',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_TENANT_PER_SECOND: '1000000',
    RATE_LIMIT_TENANT_BURST: '1000000',
    // Nothing admits the pipelines here: lift the per-tenant backlog limit too.
    TENANT_MAX_QUEUED: '100000000',
    // Tuning knobs of the gateway's group commit, passed through when set.
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CREATE_BATCH_'))),
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

const bench = sutDb.createDb({ connectionString: databaseUrl, max: 1, applicationName: 'bench' });

/** CPU seconds so far of the gateway, of the Postgres backends serving the bench database, of NATS. */
async function cpuSnapshot() {
  const { rows } = await bench.pool.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and application_name <> 'bench'`,
  );
  return {
    gateway: cpuOf(gateway.pid ?? 0),
    postgres: new Map(rows.map((r) => [r.pid, cpuOf(r.pid)])),
    nats: cpuOf(nats.pid),
  };
}

/** CPU milliseconds per accepted request between two snapshots. */
function cpuPerRequest(a: Awaited<ReturnType<typeof cpuSnapshot>>, b: typeof a, accepted: number) {
  let pgSeconds = 0;
  for (const [pid, t] of b.postgres) pgSeconds += t - (a.postgres.get(pid) ?? 0);
  const ms = (s: number) => ((s * 1000) / Math.max(1, accepted)).toFixed(2);
  return {
    gateway: +ms(b.gateway - a.gateway),
    postgres: +ms(pgSeconds),
    nats: +ms(b.nats - a.nats),
    text: `CPU ms/request: gateway ${ms(b.gateway - a.gateway)}, postgres ${ms(pgSeconds)}, nats-server ${ms(b.nats - a.nats)}`,
  };
}

/** Waits (up to 60 s) until the gateway's relay has published every outbox row. */
async function drainOutbox(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { rows } = await bench.pool.query<{ n: string }>(
      'select count(*) as n from outbox where published_at is null',
    );
    if (rows[0]?.n === '0') return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const body = JSON.stringify({
  pipeline_type: 'DataProcessing',
  config: { input_path: '/data/in.csv', output_path: '/data/out.json' },
  priority: 'Normal',
});

function post(to = port): Promise<{ status: number; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: to,
        path: '/pipelines',
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start }));
    req.end(body);
  });
}

async function waitReady(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gateway not ready');
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function fixedRate(rate: number, seconds: number) {
  const total = rate * seconds;
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const pending: Promise<{ status: number; ms: number }>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(post());
  }
  const sendSeconds = (performance.now() - start) / 1000;
  const results = await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  const ok = results.filter((r) => r.status === 201);
  const lat = ok.map((r) => r.ms).sort((a, b) => a - b);
  return {
    sent: total,
    accepted: ok.length,
    errors: total - ok.length,
    sendRate: total / sendSeconds,
    completedRate: ok.length / elapsed,
    p50: pct(lat, 50),
    p90: pct(lat, 90),
    p99: pct(lat, 99),
    max: lat.at(-1) ?? NaN,
  };
}

/** Saturation with wrk: same request, `concurrency` connections; 201s are counted from wrk's totals. */
function saturateWithWrk(concurrency: number, seconds: number) {
  const script = join(mkdtempSync(join(tmpdir(), 'po-wrk-')), 'post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer ${key}"\n`,
  );
  const out = execFileSync(
    'wrk',
    [
      '-t2',
      `-c${concurrency}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      script,
      `http://127.0.0.1:${port}/pipelines`,
    ],
    { encoding: 'utf8' },
  );
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  const ms = (re: RegExp) => {
    const m = re.exec(out);
    if (!m?.[1]) return Number.NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const total = num(/(\d+) requests in/);
  const errors = num(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const perSecond = (num(/Requests\/sec:\s+([\d.]+)/) * (total - errors)) / total;
  return {
    accepted: total - errors,
    errors,
    perSecond,
    p50: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
    p99: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
  };
}

async function saturate(concurrency: number, seconds: number, to = port) {
  const end = performance.now() + seconds * 1000;
  let accepted = 0;
  let errors = 0;
  const lat: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await post(to);
        if (r.status === 201) {
          accepted += 1;
          lat.push(r.ms);
        } else errors += 1;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { accepted, errors, perSecond: accepted / elapsed, p50: pct(lat, 50), p99: pct(lat, 99) };
}

/** Starts bench/lib/http-floor.ts, saturates it as the gateway was, stops it. */
async function saturateFloor(concurrency: number, seconds: number) {
  const floorPort = await devstack.freePort();
  const floor = spawn(
    process.execPath,
    [new URL('./lib/http-floor.ts', import.meta.url).pathname, String(floorPort)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      floor.stdout?.once('data', () => resolve());
      floor.once('exit', (code) => reject(new Error(`http-floor exited (${code})`)));
    });
    await saturate(16, 2, floorPort); // warm-up, as for the gateway
    return await saturate(concurrency, seconds, floorPort);
  } finally {
    floor.kill();
  }
}

/**
 * pgbench inserting one row per transaction for `seconds` with `clients` connections into a table
 * like a small pipelines table, in the bench database; returns its transactions per second.
 */
async function pgbenchInserts(clients: number, seconds: number): Promise<number> {
  await bench.pool.query(
    `create table bench_pgbench (id uuid primary key default gen_random_uuid(), tenant_id text not null,
       body jsonb not null, created_at timestamptz not null default now());
     create index on bench_pgbench (tenant_id, created_at)`,
  );
  const script = join(mkdtempSync(join(tmpdir(), 'po-pgbench-')), 'insert.sql');
  writeFileSync(script, `insert into bench_pgbench (tenant_id, body) values ('t', '${body}');\n`);
  const out = execFileSync(
    'pgbench',
    ['-n', '-h', '127.0.0.1', '-U', 'root', '-c', String(clients), '-j', '2', '-T', String(seconds)].concat([
      '-f',
      script,
      dbName,
    ]),
    { encoding: 'utf8' },
  );
  return Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
}

const f = (n: number) => n.toFixed(1);
try {
  await waitReady();
  await saturate(16, 2); // warm-up: JIT, pool connections, caches
  await drainOutbox(); // so the relay's warm-up work is not measured as the next phase's
  const cpu0 = await cpuSnapshot();
  const fixed = await fixedRate(RATE, DURATION_S);
  const cpu1 = await cpuSnapshot();
  const fixedCpu = cpuPerRequest(cpu0, cpu1, fixed.accepted);
  console.log(
    `fixed rate ${RATE}/s for ${DURATION_S}s: sent ${fixed.sent}, accepted ${fixed.accepted}, errors ${fixed.errors}, sent at ${f(fixed.sendRate)}/s, completed at ${f(fixed.completedRate)}/s, latency ms p50 ${f(fixed.p50)} p90 ${f(fixed.p90)} p99 ${f(fixed.p99)} max ${f(fixed.max)}`,
  );
  console.log(`  ${fixedCpu.text}`);
  const metrics: Record<string, number> = {
    'fixed.rate': RATE,
    'fixed.accepted': fixed.accepted,
    'fixed.errors': fixed.errors,
    'fixed.p50Ms': +f(fixed.p50),
    'fixed.p99Ms': +f(fixed.p99),
    'fixed.cpuMsPerRequest.gateway': fixedCpu.gateway,
    'fixed.cpuMsPerRequest.postgres': fixedCpu.postgres,
    'fixed.cpuMsPerRequest.nats': fixedCpu.nats,
  };
  if (CONCURRENCY > 0) {
    await drainOutbox();
    const cpu1b = await cpuSnapshot();
    const sat = values.wrk
      ? saturateWithWrk(CONCURRENCY, DURATION_S)
      : await saturate(CONCURRENCY, DURATION_S);
    const cpu2 = await cpuSnapshot();
    const satCpu = cpuPerRequest(cpu1b, cpu2, sat.accepted);
    console.log(
      `saturation (${CONCURRENCY} in flight${values.wrk ? ', wrk' : ''}, ${DURATION_S}s): ${f(sat.perSecond)} accepted pipelines/s, errors ${sat.errors}, latency ms p50 ${f(sat.p50)} p99 ${f(sat.p99)}`,
    );
    console.log(`  ${satCpu.text}`);
    Object.assign(metrics, {
      'saturation.acceptedPerSecond': +f(sat.perSecond),
      'saturation.errors': sat.errors,
      'saturation.p50Ms': +f(sat.p50),
      'saturation.p99Ms': +f(sat.p99),
      'saturation.cpuMsPerRequest.gateway': satCpu.gateway,
      'saturation.cpuMsPerRequest.postgres': satCpu.postgres,
    });
    // Goal 3's latency is at a third of the saturation rate just measured, whatever the machine.
    await drainOutbox();
    const third = await fixedRate(Math.max(1, Math.round(sat.perSecond / 3)), DURATION_S);
    console.log(
      `a third of saturation, ${f(sat.perSecond / 3)}/s for ${DURATION_S}s: accepted ${third.accepted}, errors ${third.errors}, latency ms p50 ${f(third.p50)} p99 ${f(third.p99)} max ${f(third.max)}`,
    );
    Object.assign(metrics, {
      'thirdOfSaturation.rate': Math.round(sat.perSecond / 3),
      'thirdOfSaturation.errors': third.errors,
      'thirdOfSaturation.p50Ms': +f(third.p50),
      'thirdOfSaturation.p99Ms': +f(third.p99),
    });
  }
  const backlog = await bench.pool.query<{ n: string }>(
    'select count(*) as n from outbox where published_at is null',
  );
  console.log(`outbox rows not yet published by the relay at the end: ${backlog.rows[0]?.n}`);
  if (PGBENCH_CLIENTS > 0) {
    await drainOutbox(); // the relay's publishing would otherwise compete with pgbench
    const tps = await pgbenchInserts(PGBENCH_CLIENTS, DURATION_S);
    console.log(`pgbench one-row inserts (${PGBENCH_CLIENTS} clients, ${DURATION_S}s): ${f(tps)}/s`);
    metrics['pgbench.insertsPerSecond'] = +f(tps);
    if (metrics['saturation.acceptedPerSecond'] !== undefined)
      metrics.gatewayToPgbench = +(metrics['saturation.acceptedPerSecond'] / tps).toFixed(3);
  }
  if (values.floor && CONCURRENCY > 0) {
    const floor = await saturateFloor(CONCURRENCY, DURATION_S);
    console.log(
      `floor (bench/lib/http-floor.ts, ${CONCURRENCY} in flight, ${DURATION_S}s): ${f(floor.perSecond)} answered/s, p99 ${f(floor.p99)} ms`,
    );
    metrics['floor.answeredPerSecond'] = +f(floor.perSecond);
    if (metrics['pgbench.insertsPerSecond'] !== undefined)
      metrics.floorToPgbench = +(floor.perSecond / metrics['pgbench.insertsPerSecond']).toFixed(3);
    if (metrics['saturation.acceptedPerSecond'] !== undefined)
      metrics.gatewayToFloor = +(metrics['saturation.acceptedPerSecond'] / floor.perSecond).toFixed(3);
  }
  printBenchJson({
    bench: 'gateway-load',
    metrics,
    details: {
      machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
      sutRoot: SUT_ROOT,
      loadAverage1mBefore: +load1m.toFixed(2),
      duration: DURATION_S,
      concurrency: CONCURRENCY,
      wrk: values.wrk,
    },
  });
} finally {
  gateway.kill('SIGTERM');
  await new Promise((r) => gateway.once('exit', r));
  agent.destroy();
  await bench.close();
  await bus.deleteStreams(nc, prefix);
  await nc.close();
  await nats.stop();
  await devstack.dropDatabase(databaseUrl);
}
