/**
 * The whole system under load: the five services as processes, kube-sim in fast mode (each pod
 * completes FAST_MS after it starts, with a log line, no process), real Postgres and a nats-server
 * of the bench's own. Submits COUNT pipelines at RATE/s (open loop) through the gateway and waits
 * until every one has Succeeded, its logs are stored and its Job is deleted; then reports, from the
 * database's own timestamps, how long each step took (p50/p99/max) — from a pipeline's end also
 * when the outbox relay had published its pipeline.finished and its job.delete —, the pipelines completed per
 * second, the CPU ms per pipeline of each component (and above the idle cost), the CPU ms per second
 * each component spends idle (the second half of --idleSeconds, before any load: leases, polls,
 * standby relays), each service's RSS (idle after start-up and at the end), and per pipeline what it
 * cost in
 *   - SQL: statements and round trips the services sent (counted on the wire by a proxy between
 *     them and Postgres, bench/lib/pg-wire.ts: pg_stat_statements is not loaded on this server),
 *     and transactions (pg_stat_database xact_commit + xact_rollback of the bench database);
 *   - NATS: messages published (in) and delivered (out), from the bench nats-server's /varz;
 *   - Kubernetes: requests received by kube-sim, by verb and resource (KubeSim.requests).
 * Everything between the first request and the last Job deleted is counted, polls included.
 * The system under test comes from PO_SUT_ROOT when set (bench/lib/sut.ts; bench/compare.sh).
 * Run: pnpm exec node bench/end-to-end.ts [--count 2000] [--rate 100] [--warmup 0] [--fastMs 100]
 *   [--idleSeconds 5] [--no-count-sql] [--cpu-prof DIR] [--sql-texts FILE]
 * Prints a human-readable JSON summary, then one `BENCH_JSON {...}` line (bench/lib/bench-json.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKubeSim } from '@po/kube-sim';
import { flatten, printBenchJson } from './lib/bench-json.ts';
import { startBenchNats } from './lib/nats-server.ts';
import { startPgProxy } from './lib/pg-proxy.ts';
import { cpuOf, rssMiB } from './lib/proc.ts';
import { bus, devstack, SUT_ROOT, db as sutDb } from './lib/sut.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '2000' },
    /**
     * Pipelines run (at --rate) before anything is measured, so that what is measured is the
     * system's steady state and not its JIT warm-up; they are left out of every figure.
     */
    warmup: { type: 'string', default: '0' },
    rate: { type: 'string', default: '100' },
    fastMs: { type: 'string', default: '100' },
    /** How long the system idles after start-up before its RSS is read. */
    idleSeconds: { type: 'string', default: '5' },
    /** Leave out the counting proxy in front of Postgres (one hop less for latency runs). */
    'no-count-sql': { type: 'boolean', default: false },
    /** Write each service's V8 CPU profile into this directory (on exit). */
    'cpu-prof': { type: 'string' },
    /** Write how often each SQL text was parsed (over the whole run, start-up included) to FILE. */
    'sql-texts': { type: 'string' },
    /** Extra environment for every service, `NAME=value` (repeatable), e.g. to A/B a setting. */
    'service-env': { type: 'string', multiple: true, default: [] },
  },
});
const COUNT = Number(values.count);
const WARMUP = Number(values.warmup);
const RATE = Number(values.rate);
const NAMESPACE = 'pipelines';
const COUNT_SQL = !values['no-count-sql'];

const id = randomBytes(4).toString('hex');
const dir = mkdtempSync(join(tmpdir(), `po-bench-e2e-${id}-`));
const dbName = `po_bench_e2e_${id}`;
const databaseUrl = `postgres://root@127.0.0.1:5432/${dbName}`;
const busPrefix = `e${id}`;
const apiKey = `bench-${randomBytes(8).toString('hex')}`;

await devstack.prepareDatabase(databaseUrl);
const nats = await startBenchNats();
const nc = await bus.connectNats({ servers: nats.url, name: 'bench-e2e' });
await bus.provision(nc, busPrefix);
const pgProxy = COUNT_SQL
  ? await startPgProxy({ host: '127.0.0.1', port: 5432, texts: Boolean(values['sql-texts']) })
  : undefined;
const sim = await startKubeSim({
  kubeconfigPath: join(dir, 'kubeconfig'),
  namespaces: ['default', NAMESPACE],
  workDir: dir,
  mode: 'fast',
  fast: { durationMs: Number(values.fastMs), exitCode: 0, log: 'processed 1000 records' },
});
const system = await devstack.startSystem({
  databaseUrl: pgProxy ? `postgres://root@127.0.0.1:${pgProxy.port}/${dbName}` : databaseUrl,
  natsUrl: nats.url,
  busPrefix,
  kubeconfigPath: join(dir, 'kubeconfig'),
  namespace: NAMESPACE,
  devApiKey: apiKey,
  output: { dir },
  logLevel: 'warn',
  env: {
    SCHEDULER_MAX_RUNNING: '500',
    TENANT_MAX_RUNNING: '500',
    RATE_LIMIT_IP_PER_SECOND: '1000000',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_TENANT_PER_SECOND: '1000000',
    RATE_LIMIT_TENANT_BURST: '1000000',
    ...(values['cpu-prof'] ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values['cpu-prof']}` } : {}),
    ...Object.fromEntries(
      values['service-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    ),
  },
});
const benchDb = sutDb.createDb({ connectionString: databaseUrl, max: 1, applicationName: 'bench' });
const bench = benchDb.db;

const body = JSON.stringify({
  pipeline_type: 'DataProcessing',
  config: { input_path: '/data/in.csv', output_path: '/data/out.json' },
  priority: 'Normal',
});

async function post(): Promise<boolean> {
  const res = await fetch(`${system.gatewayUrl}/pipelines`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status === 201;
}

const query = async <T>(text: string): Promise<T[]> => (await benchDb.pool.query(text)).rows as T[];

/**
 * CPU seconds so far per component: each service, this process (kube-sim + load + SQL proxy), the
 * Postgres backends serving this database (Postgres's shared background processes are left out:
 * they serve every engineer's databases), and the bench's own nats-server.
 */
async function cpuSnapshot(): Promise<{ cpu: Record<string, number>; pgPids: Map<number, number> }> {
  const cpu: Record<string, number> = {};
  for (const svc of system.services.values()) cpu[svc.name] = cpuOf(svc.process.pid ?? 0);
  cpu['kube-sim + bench client'] = cpuOf(process.pid);
  const pids = await query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and application_name <> 'bench'`,
  );
  const pgPids = new Map(pids.map((r) => [r.pid, cpuOf(r.pid)]));
  cpu['nats-server'] = cpuOf(nats.pid);
  return { cpu, pgPids };
}

/** CPU ms per `unit` (a pipeline, a second) of each component between two snapshots. */
function cpuMsBetween(
  a: Awaited<ReturnType<typeof cpuSnapshot>>,
  b: Awaited<ReturnType<typeof cpuSnapshot>>,
  units: number,
): Record<string, number> {
  let pgSeconds = 0;
  for (const [pid, t] of b.pgPids) pgSeconds += t - (a.pgPids.get(pid) ?? 0);
  const seconds: Record<string, number> = { postgres: pgSeconds };
  for (const [k, v] of Object.entries(b.cpu)) seconds[k] = v - (a.cpu[k] ?? 0);
  return Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, +((v * 1000) / units).toFixed(2)]));
}

/** Per-pipeline counters: SQL (wire + pg_stat_database), NATS (/varz), Kubernetes (kube-sim). */
async function countersSnapshot() {
  const [xact] = await query<{ n: string }>(
    'select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()',
  );
  const wire = pgProxy ? await pgProxy.counts() : undefined;
  const varz = await nats.varz();
  return {
    sqlStatements: wire?.statements ?? Number.NaN,
    sqlRoundTrips: wire?.roundTrips ?? Number.NaN,
    sqlParses: wire?.parses ?? Number.NaN,
    sqlTransactions: Number(xact?.n ?? Number.NaN),
    natsInMsgs: varz.inMsgs,
    natsOutMsgs: varz.outMsgs,
    kube: new Map(sim.requests),
  };
}

const rssOfServices = () =>
  Object.fromEntries(
    [...system.services.values()].map((s) => [s.name, +rssMiB(s.process.pid ?? 0).toFixed(1)]),
  );

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const summary = (xs: number[]) => ({
  p50: Math.round(pct(xs, 50)),
  p99: Math.round(pct(xs, 99)),
  max: Math.round(Math.max(...xs)),
});

/** Submits `n` pipelines at RATE/s (open loop); resolves to how many were accepted. */
async function submit(n: number): Promise<number> {
  const start = performance.now();
  const sends: Promise<boolean>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(post());
  }
  return (await Promise.all(sends)).filter(Boolean).length;
}

/**
 * Waits until `total` pipelines are done — their Job deleted (after Succeeded and the logs stored) —
 * polled every 250 ms, up to 10 min; resolves to how many are done.
 */
async function untilDone(total: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  let done = 0;
  while (Date.now() < deadline) {
    const [row] = await query<{ n: string }>(
      'select count(*) as n from pipeline_attempts where job_deleted_at is not null',
    );
    done = Number(row?.n);
    if (done >= total) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return done;
}

try {
  // The idle window's second half measures what the system costs with nothing to do (leases, polls,
  // standby relays): at a low rate that fixed cost is a large part of the CPU per pipeline.
  const idleMs = Number(values.idleSeconds) * 1000;
  await new Promise((r) => setTimeout(r, idleMs / 2));
  const idleCpu0 = await cpuSnapshot();
  const idleStart = performance.now();
  await new Promise((r) => setTimeout(r, idleMs / 2));
  const idleRssMiB = rssOfServices();
  const load1m = loadavg()[0] ?? Number.NaN;
  const idleCpuMsPerSecond = cpuMsBetween(
    idleCpu0,
    await cpuSnapshot(),
    (performance.now() - idleStart) / 1000,
  );
  const warmedUp = WARMUP > 0 ? await untilDone(await submit(WARMUP)) : 0;
  // Pipelines created from here on are the measured ones (Postgres's clock, as the timestamps).
  const [{ now: measuredFrom } = { now: new Date(0) }] = await query<{ now: Date }>('select now()');
  const cpu0 = await cpuSnapshot();
  const counters0 = await countersSnapshot();
  const start = performance.now();
  const accepted = await submit(COUNT);
  const done = (await untilDone(warmedUp + accepted)) - warmedUp;
  const seconds = (performance.now() - start) / 1000;
  const cpu1 = await cpuSnapshot();
  const endRssMiB = rssOfServices();
  // pg_stat_database is updated by each backend at most once a second.
  await new Promise((r) => setTimeout(r, 1100));
  const counters1 = await countersSnapshot();
  const perPipeline = (n: number) => +(n / Math.max(1, done)).toFixed(2);

  const cpuMsPerPipeline = cpuMsBetween(cpu0, cpu1, Math.max(1, done));
  const excludingKubeSim = (ms: Record<string, number>) =>
    Object.entries(ms)
      .filter(([k]) => k !== 'kube-sim + bench client')
      .reduce((a, [, v]) => a + v, 0);
  const systemCpuMs = excludingKubeSim(cpuMsPerPipeline);
  const idleSystemCpuMsPerSecond = excludingKubeSim(idleCpuMsPerSecond);
  // What a pipeline adds to the idle system's cost over the run.
  const systemCpuMsAboveIdle = systemCpuMs - (idleSystemCpuMsPerSecond * seconds) / Math.max(1, done);
  // How busy the machine was while measuring: every component's CPU (kube-sim and the load too) over
  // the cores' time (goal 2's latencies count only at most half busy).
  const allCpuMs = Object.values(cpuMsPerPipeline).reduce((a, b) => a + b, 0) * Math.max(1, done);
  const machineBusyShare = allCpuMs / (seconds * 1000 * cpus().length);

  const kubeByKind: Record<string, number> = {};
  for (const [kind, n] of counters1.kube) {
    const d = n - (counters0.kube.get(kind) ?? 0);
    if (d > 0) kubeByKind[kind] = perPipeline(d);
  }
  const costPerPipeline = {
    sqlStatements: perPipeline(counters1.sqlStatements - counters0.sqlStatements),
    sqlRoundTrips: perPipeline(counters1.sqlRoundTrips - counters0.sqlRoundTrips),
    sqlParses: perPipeline(counters1.sqlParses - counters0.sqlParses),
    sqlTransactions: perPipeline(counters1.sqlTransactions - counters0.sqlTransactions),
    natsInMsgs: perPipeline(counters1.natsInMsgs - counters0.natsInMsgs),
    natsOutMsgs: perPipeline(counters1.natsOutMsgs - counters0.natsOutMsgs),
    kubeRequests: +Object.values(kubeByKind)
      .reduce((a, b) => a + b, 0)
      .toFixed(2),
  };

  const rows = await bench
    .selectFrom('pipelines as p')
    .innerJoin('pipeline_attempts as a', (j) =>
      j.onRef('a.pipeline_id', '=', 'p.id').onRef('a.attempt', '=', 'p.attempt'),
    )
    .select([
      'p.status',
      'p.created_at',
      'a.admitted_at',
      'a.job_created_at',
      'p.started_at',
      'p.finished_at',
      'a.logs_captured_at',
      'a.job_deleted_at',
    ])
    .where('p.created_at', '>=', measuredFrom)
    .execute();
  const steps = {
    admitted: 'admitted_at',
    jobCreated: 'job_created_at',
    running: 'started_at',
    finished: 'finished_at',
    logsStored: 'logs_captured_at',
    jobDeleted: 'job_deleted_at',
  } as const;
  const msFromRequestTo = Object.fromEntries(
    Object.entries(steps).map(([step, column]) => [
      step,
      summary(rows.flatMap((r) => (r[column] ? [r[column].getTime() - r.created_at.getTime()] : []))),
    ]),
  );
  const sinceFinished = (column: 'logs_captured_at' | 'job_deleted_at') =>
    summary(
      rows.flatMap((r) =>
        r[column] && r.finished_at ? [r[column].getTime() - r.finished_at.getTime()] : [],
      ),
    );
  // The cleanup chain's hops: when the outbox relay had published (PubAck'd and marked) the watcher's
  // pipeline.finished and the log-collector's job.delete, from the same finished_at.
  const published = await query<{ finished: number | null; jobDelete: number | null }>(`
    select extract(epoch from (select o.published_at from outbox o
               where o.subject like '%.evt.pipeline.finished' and o.payload->>'pipelineId' = a.pipeline_id::text
                 and (o.payload->>'attempt')::int = a.attempt limit 1) - p.finished_at) * 1000 as finished,
           extract(epoch from (select o.published_at from outbox o
               where o.subject like '%.cmd.job.delete' and o.payload->>'pipelineId' = a.pipeline_id::text
                 and (o.payload->>'attempt')::int = a.attempt limit 1) - p.finished_at) * 1000 as "jobDelete"
    from pipeline_attempts a join pipelines p on p.id = a.pipeline_id and p.attempt = a.attempt
    where p.finished_at is not null and p.created_at >= '${measuredFrom.toISOString()}'`);
  const hop = (k: 'finished' | 'jobDelete') =>
    summary(published.flatMap((r) => (r[k] === null ? [] : [Number(r[k])])));
  const msFromFinishedTo = {
    finishedPublished: hop('finished'),
    logsStored: sinceFinished('logs_captured_at'),
    jobDeletePublished: hop('jobDelete'),
    jobDeleted: sinceFinished('job_deleted_at'),
  };
  if (pgProxy && values['sql-texts']) {
    const texts = (await pgProxy.texts()).sort((a, b) => b[1] - a[1]);
    writeFileSync(values['sql-texts'], texts.map(([t, n]) => `${n}\t${t.replace(/\s+/g, ' ')}`).join('\n'));
  }
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;

  const result = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    sutRoot: SUT_ROOT,
    loadAverage1mBefore: +load1m.toFixed(2),
    warmup: WARMUP,
    submitted: COUNT,
    rate: RATE,
    fastPodMs: Number(values.fastMs),
    accepted,
    done,
    statuses,
    completedPerSecond: +(done / seconds).toFixed(1),
    msFromRequestTo,
    msFromFinishedTo,
    cpuMsPerPipeline,
    systemCpuMsPerPipelineExcludingKubeSim: +systemCpuMs.toFixed(2),
    systemCpuMsPerPipelineAboveIdle: +systemCpuMsAboveIdle.toFixed(2),
    machineBusyShare: +machineBusyShare.toFixed(3),
    idleCpuMsPerSecond,
    idleSystemCpuMsPerSecondExcludingKubeSim: +idleSystemCpuMsPerSecond.toFixed(2),
    costPerPipeline,
    kubeRequestsPerPipeline: kubeByKind,
    idleRssMiB,
    endRssMiB,
  };
  console.log(JSON.stringify(result, null, 2));
  printBenchJson({
    bench: 'end-to-end',
    metrics: flatten({
      completedPerSecond: result.completedPerSecond,
      systemCpuMsPerPipelineExcludingKubeSim: result.systemCpuMsPerPipelineExcludingKubeSim,
      systemCpuMsPerPipelineAboveIdle: result.systemCpuMsPerPipelineAboveIdle,
      machineBusyShare: result.machineBusyShare,
      // 1 when the system completed less than 90% of the offered rate: its ceiling was measured.
      saturated: result.completedPerSecond < 0.9 * RATE ? 1 : 0,
      idleSystemCpuMsPerSecondExcludingKubeSim: result.idleSystemCpuMsPerSecondExcludingKubeSim,
      idleCpuMsPerSecond,
      cpuMsPerPipeline,
      msFromRequestTo: {
        jobCreated: { p50: msFromRequestTo.jobCreated?.p50, p99: msFromRequestTo.jobCreated?.p99 },
        logsStored: { p50: msFromRequestTo.logsStored?.p50 },
        jobDeleted: { p50: msFromRequestTo.jobDeleted?.p50, p99: msFromRequestTo.jobDeleted?.p99 },
      },
      msFromFinishedTo: {
        finishedPublished: { p50: msFromFinishedTo.finishedPublished.p50 },
        logsStored: { p50: msFromFinishedTo.logsStored.p50 },
        jobDeletePublished: { p50: msFromFinishedTo.jobDeletePublished.p50 },
        jobDeleted: { p50: msFromFinishedTo.jobDeleted.p50 },
      },
      perPipeline: costPerPipeline,
      idleRssMiB,
      maxIdleRssMiB: Math.max(...Object.values(idleRssMiB)),
    }),
    details: result,
  });
} finally {
  await benchDb.close();
  await system.stop();
  await sim.stop();
  await pgProxy?.stop();
  await bus.deleteStreams(nc, busPrefix);
  await nc.close();
  await nats.stop();
  await devstack.dropDatabase(databaseUrl);
}
