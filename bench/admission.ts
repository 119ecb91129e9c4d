/**
 * Admission cost: how long one scheduler pass (admitQueued, 50 at a time, global and per-tenant
 * concurrency quotas, per-tenant and global CPU/memory quotas, aging, and the per-tenant queue
 * reasons it records) takes with a deep queue. Queues QUEUED pipelines over TENANTS tenants on a fresh database,
 * then admits them in passes (finishing the admitted ones so slots free up) and reports the pass
 * time percentiles and admitted pipelines per second.
 * Each pipeline requests 100m CPU and 128Mi; tenants may use 1.5 CPU (so the CPU quota, not the
 * count, is what binds at 15 running) and 64Gi, the whole system 1000 CPU and 1Ti.
 * Run: pnpm exec node bench/admission.ts [--queued 20000] [--tenants 20] [--tenantMaxRunning 20]
 *   [--agingSeconds 300]
 * It also reports how long reading one queued pipeline's position takes with the full queue
 * (positionMsP50: what GET /pipelines/:id adds for a queued pipeline).
 * The database code comes from PO_SUT_ROOT when set (bench/lib/sut.ts; bench/compare.sh): a ref
 * without CPU/memory quotas queues rows without them, one without queue positions skips that part.
 * Prints one `BENCH_JSON {...}` line last.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printBenchJson } from './lib/bench-json.ts';
import { devstack, loadContracts, loadDbTesting, SUT_ROOT, db as sutDb } from './lib/sut.ts';

const { admitQueued, createDb, insertPipelines } = sutDb;
/** Absent in refs before queue positions. */
const queuePlaces = sutDb.queuePlaces as typeof sutDb.queuePlaces | undefined;
const { newPipelineRow } = await loadDbTesting();
const { PRIORITY_RANK, subjects: subjectsFor } = await loadContracts();
/** Refs before CPU/memory quotas have no such columns. */
const hasQuotas = readFileSync(join(SUT_ROOT, 'packages/db/src/schema.ts'), 'utf8').includes('cpu_millis');
const load1m = loadavg()[0] ?? Number.NaN;

const { values } = parseArgs({
  options: {
    queued: { type: 'string', default: '20000' },
    tenants: { type: 'string', default: '20' },
    tenantMaxRunning: { type: 'string', default: '20' },
    maxRunning: { type: 'string', default: '200' },
    batch: { type: 'string', default: '50' },
    passes: { type: 'string', default: '200' },
    agingSeconds: { type: 'string', default: '300' },
  },
});
const QUEUED = Number(values.queued);
const TENANTS = Number(values.tenants);
const BATCH = Number(values.batch);
const PASSES = Number(values.passes);

const url = `postgres://root@127.0.0.1:5432/po_bench_adm_${randomBytes(4).toString('hex')}`;
await devstack.prepareDatabase(url);
const { db, close } = createDb({ connectionString: url, max: 2, applicationName: 'bench' });
const subjects = subjectsFor(`b${randomBytes(4).toString('hex')}`);
const priorities = Object.entries(PRIORITY_RANK);

try {
  for (let i = 0; i < QUEUED; i += 500) {
    const rows = Array.from({ length: Math.min(500, QUEUED - i) }, (_, j) => {
      const [priority, rank] = priorities[(i + j) % priorities.length] ?? ['Normal', 1];
      return newPipelineRow({
        id: randomUUID(),
        tenant_id: `tenant-${(i + j) % TENANTS}`,
        priority: priority as 'Normal',
        priority_rank: rank,
        ...(hasQuotas ? { cpu_millis: 100, memory_bytes: 128 * 2 ** 20 } : {}),
      });
    });
    await insertPipelines(db, subjects, rows);
  }
  await db.executeQuery({ sql: 'analyze pipelines', parameters: [], query: { kind: 'RawNode' } } as never);

  // What GET /pipelines/:id adds for a queued pipeline: its positions, numbered over the whole queue.
  const last = await db
    .selectFrom('pipelines')
    .select('id')
    .orderBy('queued_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const positionMs: number[] = [];
  for (let i = 0; queuePlaces && i < 20; i++) {
    const start = performance.now();
    await queuePlaces(db, [last.id], { agingSeconds: Number(values.agingSeconds) });
    positionMs.push(performance.now() - start);
  }
  positionMs.sort((a, b) => a - b);

  const passMs: number[] = [];
  let admitted = 0;
  const t0 = performance.now();
  for (let pass = 0; pass < PASSES; pass++) {
    const start = performance.now();
    const got = await admitQueued(db, subjects, {
      limit: BATCH,
      maxRunning: Number(values.maxRunning),
      tenantMaxRunning: Number(values.tenantMaxRunning),
      tenantMaxCpuMillis: 1500,
      tenantMaxMemoryBytes: 64 * 2 ** 30,
      maxCpuMillis: 1_000_000,
      maxMemoryBytes: 2 ** 40,
      agingSeconds: Number(values.agingSeconds),
    });
    passMs.push(performance.now() - start);
    admitted += got.length;
    // The admitted finish at once, so the next pass finds free slots again.
    if (got.length > 0) {
      await db
        .updateTable('pipelines')
        .set({ status: 'Succeeded', finished_at: new Date() })
        .where(
          'id',
          'in',
          got.map((p) => p.id),
        )
        .execute();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  passMs.sort((a, b) => a - b);
  const pct = (p: number) =>
    passMs[Math.min(passMs.length - 1, Math.floor((p / 100) * passMs.length))] ?? NaN;
  const result = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    queued: QUEUED,
    tenants: TENANTS,
    batch: BATCH,
    passes: PASSES,
    passMs: {
      p50: +pct(50).toFixed(2),
      p99: +pct(99).toFixed(2),
      max: +(passMs.at(-1) ?? NaN).toFixed(2),
    },
    admittedPerSecond: Math.round(admitted / seconds),
    positionMsP50: +(positionMs[10] ?? NaN).toFixed(2),
    admitted,
    sutRoot: SUT_ROOT,
    loadAverage1mBefore: +load1m.toFixed(2),
  };
  console.log(JSON.stringify(result, null, 2));
  printBenchJson({
    bench: 'admission',
    metrics: {
      'passMs.p50': result.passMs.p50,
      'passMs.p99': result.passMs.p99,
      admittedPerSecond: result.admittedPerSecond,
      ...(queuePlaces ? { positionMsP50: result.positionMsP50 } : {}),
    },
    details: result,
  });
} finally {
  await close();
  await devstack.dropDatabase(url);
}
