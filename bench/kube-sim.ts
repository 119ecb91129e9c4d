// kube-sim benchmark: Jobs created per second through client-node, watch event latency, and the
// sim's RSS holding 10,000 Jobs + 10,000 pods (fast mode). The sim runs as its own process (CLI)
// so its RSS is measured alone.  Run: pnpm exec node bench/kube-sim.ts [--jobs 10000]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    latencySamples: { type: 'string', default: '1000' },
    // V8 flags for the sim process, e.g. "--max-semi-space-size=2 --max-old-space-size=256"
    nodeFlags: { type: 'string', default: '' },
    // client-node 2.0.1 makes a new undici Agent (so a new TCP connection) for every request when
    // the cluster has TLS options (insecure-skip-tls-verify, a CA...). By default the bench shares
    // the first one (keep-alive pool); --connectionPerRequest measures client-node as it comes.
    connectionPerRequest: { type: 'boolean', default: false },
    // after the RSS measurement, wait this long and measure again (steady state, held and idle)
    idleSeconds: { type: 'string', default: '15' },
  },
});
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values.latencySamples);
const NS = 'pipelines';

const cli = fileURLToPath(new URL('../packages/kube-sim/src/cli.ts', import.meta.url));
const nodeFlags = (values.nodeFlags ?? '').split(' ').filter((f) => f !== '');
const child = spawn(
  process.execPath,
  [...nodeFlags, cli, '--port', '0', '--mode', 'fast', '--fast-duration-ms', '100', '--fast-log', 'done'],
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let simMemory: Record<string, number> | undefined;
let memoryWaiter: (() => void) | undefined;
child.stderr.setEncoding('utf8');
child.stderr.on('data', (d: string) => {
  const m = /kube-sim memory (\{.*\})/.exec(d);
  if (m?.[1]) {
    simMemory = JSON.parse(m[1]) as Record<string, number>;
    memoryWaiter?.();
  } else process.stderr.write(d);
});
/** The sim's process.memoryUsage(), in MB (it prints it on SIGUSR2). */
async function simMemoryMb(): Promise<Record<string, number>> {
  const got = new Promise<void>((r) => {
    memoryWaiter = r;
  });
  child.kill('SIGUSR2');
  await got;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(simMemory ?? {})) out[k] = Math.round(v / 2 ** 20);
  return out;
}
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
    if (m) resolve(m[0]);
  });
  child.once('exit', (c) => reject(new Error(`kube-sim exited ${c}`)));
});

function procStatusMb(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Established TCP connections to the sim's port (from /proc/net/tcp, local side = port). */
function connectionsTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hex}`) && f[3] === '01') n++;
  }
  return n;
}

/** CPU time (user + system) of a process so far, in ms (from /proc/<pid>/stat, 100 ticks/s). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) * 10;
}

type Dispatcher = ReturnType<k8s.RequestContext['getDispatcher']>;
/** A KubeConfig whose API clients share one connection pool (the first dispatcher made). */
class PooledKubeConfig extends k8s.KubeConfig {
  private shared: Dispatcher;
  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const d = context.getDispatcher();
    if (!d) return;
    if (this.shared) context.setDispatcher(this.shared);
    else this.shared = d;
  }
}

const kc = values.connectionPerRequest ? new k8s.KubeConfig() : new PooledKubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'sim', server: url, skipTLSVerify: true }],
  users: [{ name: 'u', token: 't' }],
  contexts: [{ name: 'c', cluster: 'sim', user: 'u', namespace: NS }],
  currentContext: 'c',
});
const batch = kc.makeApiClient(k8s.BatchV1Api);

function job(name: string, labels: Record<string, string>): k8s.V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }],
        },
      },
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

// 1. Watch latency: time from sending a create to receiving its ADDED event on a watch, one at a
// time. Measured twice: with a lean client (node:http keep-alive POST + the raw watch stream), so
// the figure is the sim's own; and through client-node (BatchV1Api create + Watch), which adds
// client-node's CPU and GC in the measuring process. WARMUP creates before each are not counted.
const WARMUP = 100;
type Latencies = { p50: number; p99: number; max: number; samples: number };
function summary(xs: number[]): Latencies {
  return {
    p50: round2(pct(xs, 50)),
    p99: round2(pct(xs, 99)),
    max: round2(Math.max(...xs)),
    samples: xs.length,
  };
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Creates `count` Jobs one at a time and returns send -> ADDED latencies, in ms. */
async function sequentialLatency(
  label: string,
  count: number,
  watch: (onAdded: (name: string) => void) => Promise<() => void>,
  create: (name: string) => Promise<void>,
): Promise<number[]> {
  const sent = new Map<string, number>();
  const lat: number[] = [];
  let waiter: (() => void) | undefined;
  const stop = await watch((name) => {
    const t0 = sent.get(name);
    if (t0 === undefined) return;
    lat.push(performance.now() - t0);
    sent.delete(name);
    waiter?.();
  });
  for (let i = 0; i < count; i++) {
    const name = `${label}-${i}`;
    const got = new Promise<void>((r) => {
      waiter = r;
    });
    sent.set(name, performance.now());
    await create(name);
    await got;
  }
  stop();
  return lat.slice(WARMUP);
}

const simUrl = new URL(url);
const leanAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const jobsPath = `/apis/batch/v1/namespaces/${NS}/jobs`;

/** The lean client: the raw watch stream, split into lines, ADDED names picked out. */
function leanWatch(label: string) {
  return (onAdded: (name: string) => void) =>
    new Promise<() => void>((resolve, reject) => {
      const selector = encodeURIComponent(`bench=${label}`);
      const req = http.get(
        {
          host: simUrl.hostname,
          port: simUrl.port,
          path: `${jobsPath}?watch=true&labelSelector=${selector}`,
        },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
              const event = JSON.parse(buf.slice(0, nl)) as { type: string; object: k8s.V1Job };
              buf = buf.slice(nl + 1);
              if (event.type === 'ADDED') onAdded(event.object.metadata?.name ?? '');
            }
          });
          resolve(() => req.destroy());
        },
      );
      req.on('error', reject);
    });
}
function leanCreate(label: string) {
  return (name: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: simUrl.hostname,
          port: simUrl.port,
          method: 'POST',
          path: jobsPath,
          agent: leanAgent,
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          if (res.statusCode !== 201) reject(new Error(`create ${name}: HTTP ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(job(name, { bench: label })));
    });
}
function clientNodeWatch(label: string) {
  return async (onAdded: (name: string) => void) => {
    const ctrl = await new k8s.Watch(kc).watch(
      jobsPath,
      { labelSelector: `bench=${label}` },
      (type, obj: k8s.V1Job) => {
        if (type === 'ADDED') onAdded(obj.metadata?.name ?? '');
      },
      () => {},
    );
    return () => ctrl.abort();
  };
}
function clientNodeCreate(label: string) {
  return async (name: string) => {
    await batch.createNamespacedJob({ namespace: NS, body: job(name, { bench: label }) });
  };
}

const latencyEmpty = {
  lean: summary(await sequentialLatency('lean', WARMUP + SAMPLES, leanWatch('lean'), leanCreate('lean'))),
  clientNode: summary(
    await sequentialLatency('cn', WARMUP + SAMPLES, clientNodeWatch('cn'), clientNodeCreate('cn')),
  ),
};
const latencyJobs = 2 * (WARMUP + SAMPLES);

// 2. Create throughput through client-node.
const total = JOBS - latencyJobs;
let next = 0;
const simCpu0 = cpuMs(child.pid ?? 0);
const ownCpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) {
      const i = next++;
      await batch.createNamespacedJob({ namespace: NS, body: job(`load-${i}`, { bench: 'load' }) });
    }
  }),
);
const createSecs = (performance.now() - t0) / 1000;
const ownCpu = process.cpuUsage(ownCpu0);
const cpuMsPerCreate = {
  sim: +((cpuMs(child.pid ?? 0) - simCpu0) / total).toFixed(3),
  client: +((ownCpu.user + ownCpu.system) / 1000 / total).toFixed(3),
};

// 3. Wait until every Job has completed (fast mode), then measure RSS with everything held.
const deadline = Date.now() + 300_000;
let complete = 0;
for (;;) {
  const list = await batch.listNamespacedJob({ namespace: NS });
  complete = list.items.filter((j) => j.status?.conditions?.some((c) => c.type === 'Complete')).length;
  if (complete >= JOBS || Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 1000));
}
const core = kc.makeApiClient(k8s.CoreV1Api);
const podCount = (await core.listNamespacedPod({ namespace: NS })).items.length;
const pid = child.pid ?? 0;
const rss = procStatusMb(pid, 'VmRSS');
const rssPeak = procStatusMb(pid, 'VmHWM');
const openConnections = connectionsTo(Number(new URL(url).port));
const memory = await simMemoryMb();
if (process.env.KUBE_SIM_BENCH_SMAPS) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.KUBE_SIM_BENCH_SMAPS, readFileSync(`/proc/${pid}/smaps`, 'utf8'));
}

// 4. The same, held and idle for a while (V8's memory reducer gives back unused heap then).
const IDLE_MS = Number(values.idleSeconds) * 1000;
await new Promise((r) => setTimeout(r, IDLE_MS));
const rssIdle = procStatusMb(pid, 'VmRSS');
const memoryIdle = await simMemoryMb();

// 5. Watch latency again with the 10,000 Jobs and pods held (the sim's sweeps now walk them all).
const latencyHeld = {
  lean: summary(
    await sequentialLatency('lean-held', WARMUP + SAMPLES, leanWatch('lean-held'), leanCreate('lean-held')),
  ),
  clientNode: summary(
    await sequentialLatency(
      'cn-held',
      WARMUP + SAMPLES,
      clientNodeWatch('cn-held'),
      clientNodeCreate('cn-held'),
    ),
  ),
};

const result = {
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
  createsPerSecond: Math.round(total / createSecs),
  createdJobs: total,
  concurrency: CONCURRENCY,
  cpuMsPerCreate,
  watchLatencyMs: { empty: latencyEmpty, [`with${JOBS}JobsHeld`]: latencyHeld },
  jobsComplete: complete,
  podsHeld: podCount,
  rssMb: Math.round(rss),
  rssPeakMb: Math.round(rssPeak),
  simMemoryMb: memory,
  [`rssAfter${values.idleSeconds}sIdleMb`]: Math.round(rssIdle),
  simMemoryIdleMb: {
    heapTotal: memoryIdle.heapTotal,
    heapUsed: memoryIdle.heapUsed,
    external: memoryIdle.external,
  },
  openConnections,
  connectionPerRequest: values.connectionPerRequest,
  simNodeFlags: nodeFlags.join(' '),
  loadAverage1m: (await import('node:os')).loadavg()[0]?.toFixed(1),
};
console.log(JSON.stringify(result, null, 2));
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
