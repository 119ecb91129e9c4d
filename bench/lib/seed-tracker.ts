/**
 * The original seed's way of tracking pipelines (/work/shared/seed, "3.1 Real-time Job Status
 * Tracking"), as a process of its own for bench/seed-design.ts: for every pipeline, a watcher
 * (list, then watch) over its one Job (`fieldSelector metadata.name=<job>`), and a poll of that
 * Job's status (`watch_job_status`: GET the Job) every POLL seconds, spread evenly. Each pipeline's
 * latest Job status is kept in memory (the seed writes it to Postgres; this harness leaves the
 * database out, which only makes it lighter). Through @kubernetes/client-node, as a real client.
 * Run (by the bench): node bench/lib/seed-tracker.ts KUBECONFIG NAMESPACE JOB_NAMES_FILE POLL_SECONDS
 * Prints `synced <n>` once every watch has listed, then `tracking` lines are not printed: the
 * parent reads its RSS and kube-sim's request counts.
 */
import { readFileSync } from 'node:fs';
import { BatchV1Api, KubeConfig, ListWatch, type V1Job, Watch } from '@kubernetes/client-node';

const [kubeconfig, namespace, namesFile, pollSeconds] = process.argv.slice(2);
if (!kubeconfig || !namespace || !namesFile || !pollSeconds) {
  process.stderr.write('usage: seed-tracker.ts KUBECONFIG NAMESPACE JOB_NAMES_FILE POLL_SECONDS\n');
  process.exit(2);
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const batch = kc.makeApiClient(BatchV1Api);
const names = readFileSync(namesFile, 'utf8').split('\n').filter(Boolean);
const pollMs = Number(pollSeconds) * 1000;
const path = `/apis/batch/v1/namespaces/${namespace}/jobs`;

/** The seed's JobStatus: active / succeeded / failed, as last seen. */
const lastStatus = new Map<string, string>();
const statusOf = (job: V1Job) =>
  `${job.status?.active ?? 0}/${job.status?.succeeded ?? 0}/${job.status?.failed ?? 0}`;
const note = (name: string, job: V1Job) => {
  const s = statusOf(job);
  if (lastStatus.get(name) !== s) lastStatus.set(name, s);
};

const informers: ListWatch<V1Job>[] = [];
const timers: NodeJS.Timeout[] = [];
let synced = 0;
for (const [i, name] of names.entries()) {
  const fieldSelector = `metadata.name=${name}`;
  let listed = false;
  const listFn = async () => {
    const list = await batch.listNamespacedJob({ namespace, fieldSelector });
    if (!listed) {
      listed = true;
      synced++;
      if (synced === names.length) process.stdout.write(`synced ${synced}\n`);
    }
    return list;
  };
  const lw = new ListWatch<V1Job>(path, new Watch(kc), listFn, false, undefined, fieldSelector);
  lw.on('add', (job) => note(name, job));
  lw.on('update', (job) => note(name, job));
  lw.on('error', () => {
    // kube-rs's watcher retries with backoff (`default_backoff()`): so does this.
    setTimeout(() => void lw.start().catch(() => {}), 1000);
  });
  informers.push(lw);
  void lw.start().catch(() => {});
  // The status poll, spread over the period so the API server sees an even rate.
  const first = setTimeout(
    () => {
      const poll = async () => {
        try {
          note(name, await batch.readNamespacedJob({ name, namespace }));
        } catch {
          // A failed poll is tried again at the next period, as the seed's loop does.
        }
      };
      void poll();
      timers.push(setInterval(poll, pollMs));
    },
    (i * pollMs) / names.length,
  );
  timers.push(first);
}

// Tracks until told to stop (also with no Jobs: the bench reads the floor of an idle tracker).
const alive = setInterval(() => {}, 60_000);
process.on('SIGTERM', () => {
  clearInterval(alive);
  for (const t of timers) clearTimeout(t);
  void Promise.all(informers.map((lw) => lw.stop())).finally(() => process.exit(0));
});
