// kube-sim benchmark: Jobs created per second through client-node, watch event latency, and the
// sim's RSS holding 10,000 Jobs + 10,000 pods (fast mode). The sim runs as its own process (CLI)
// so its RSS is measured alone.  Run: pnpm exec node bench/kube-sim.ts [--jobs 10000]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
    if (m) resolve(m[0]);
  });
  child.once('exit', (c) => reject(new Error(`kube-sim exited ${c}`)));
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const kc = new k8s.KubeConfig();
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

// 1. Watch latency: time from sending a create to receiving its ADDED event on a watch.
const sent = new Map<string, number>();
const lat: number[] = [];
let waiter: (() => void) | undefined;
const ctrl = await new k8s.Watch(kc).watch(
  `/apis/batch/v1/namespaces/${NS}/jobs`,
  { labelSelector: 'bench=latency' },
  (type, obj: k8s.V1Job) => {
    const t0 = sent.get(obj.metadata?.name ?? '');
    if (type === 'ADDED' && t0 !== undefined) {
      lat.push(performance.now() - t0);
      sent.delete(obj.metadata?.name ?? '');
      waiter?.();
    }
  },
  () => {},
);
for (let i = 0; i < SAMPLES; i++) {
  const name = `lat-${i}`;
  const got = new Promise<void>((r) => {
    waiter = r;
  });
  sent.set(name, performance.now());
  await batch.createNamespacedJob({ namespace: NS, body: job(name, { bench: 'latency' }) });
  await got;
}
ctrl.abort();

// 2. Create throughput through client-node.
const total = JOBS - SAMPLES;
let next = 0;
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
const rss = rssMb(pid);

const result = {
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
  createsPerSecond: Math.round(total / createSecs),
  createdJobs: total,
  concurrency: CONCURRENCY,
  watchLatencyMs: { p50: +pct(lat, 50).toFixed(2), p99: +pct(lat, 99).toFixed(2), samples: lat.length },
  jobsComplete: complete,
  podsHeld: podCount,
  rssMb: Math.round(rss),
  simNodeFlags: nodeFlags.join(' '),
  loadAverage1m: (await import('node:os')).loadavg()[0]?.toFixed(1),
};
console.log(JSON.stringify(result, null, 2));
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
