// The Job controller: level-triggered. Any change to a Job or one of its pods queues the Job; a
// reconcile reads the current state, asks reconcileJob what to do, and applies it.

import type { Cluster } from './cluster.ts';
import { JOB_TRACKING_FINALIZER, randomSuffix } from './cluster.ts';
import type { EventRecorder } from './events.ts';
import { INDEX_LABEL, reconcileJob, type Tracked } from './job-reconcile.ts';
import { JOBS, PODS } from './resources.ts';
import { objKey, type StoreEvent } from './store.ts';
import type { Container, Job, KubeObject, Pod } from './types.ts';
import { clone, jsonEqual } from './types.ts';

const SOURCE = { component: 'job-controller' };
/** The field manager of the pods the controller creates, as on a real cluster. */
const CONTROLLER = { manager: 'kube-controller-manager' };

function isTerminal(p: KubeObject): boolean {
  const phase = (p as Pod).status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

function isFinished(job: Job): boolean {
  return !!job.status?.conditions?.some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

interface JobMemory {
  tracked: Map<string, Tracked>;
  lastActive: Set<string>;
  /** final states of this Job's pods deleted since the last round */
  vanished: Map<string, Pod>;
  /** failed pods since the last succeeded one, and when the last one failed (backoff) */
  failures: number;
  lastFailureMs: number;
  deadlineTimer?: NodeJS.Timeout;
  deadlineAt?: number;
  ttlTimer?: NodeJS.Timeout;
}

export interface JobControllerOptions {
  /** base of the pod replacement backoff (real controller: 10 s, doubling per failure) */
  podBackoffMs?: number;
  /** cap of the pod replacement backoff (real controller: 6 min) */
  podBackoffMaxMs?: number;
}

export const DEFAULT_POD_BACKOFF_MS = 10_000;
export const MAX_POD_BACKOFF_MS = 6 * 60_000;

export class JobController {
  private readonly cluster: Cluster;
  private readonly events: EventRecorder;
  private readonly queue = new Set<string>();
  private scheduled = false;
  private readonly memory = new Map<string, JobMemory>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  private readonly backoffMs: number;
  private readonly backoffMaxMs: number;

  constructor(cluster: Cluster, events: EventRecorder, opts: JobControllerOptions = {}) {
    this.cluster = cluster;
    this.events = events;
    this.backoffMs = opts.podBackoffMs ?? DEFAULT_POD_BACKOFF_MS;
    this.backoffMaxMs = opts.podBackoffMaxMs ?? MAX_POD_BACKOFF_MS;
  }

  start() {
    this.unsubscribe = this.cluster.store.subscribe((e) => this.onEvent(e));
    for (const j of this.cluster.store.list('jobs'))
      this.enqueue(objKey(j.metadata.namespace, j.metadata.name ?? ''));
  }

  stop() {
    this.stopped = true;
    this.unsubscribe?.();
    for (const m of this.memory.values()) {
      if (m.deadlineTimer) clearTimeout(m.deadlineTimer);
      if (m.ttlTimer) clearTimeout(m.ttlTimer);
    }
  }

  private onEvent(e: StoreEvent) {
    if (e.resource === 'jobs') {
      const key = objKey(e.object.metadata.namespace, e.object.metadata.name ?? '');
      if (e.type === 'DELETED') {
        const uid = e.object.metadata.uid ?? '';
        this.forget(uid);
        // Its pods are nobody's to count any more: they keep no tracking finalizer.
        this.later(() => {
          for (const d of this.cluster.store.dependents(uid))
            if (d.resource === 'pods') this.release(d.object);
        });
      } else this.enqueue(key);
    } else if (e.resource === 'pods') {
      const ref = (e.object.metadata.ownerReferences ?? e.prev?.metadata.ownerReferences ?? []).find(
        (r) => r.controller && r.kind === 'Job',
      );
      if (e.type !== 'DELETED' && e.object.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) {
        const pod = e.object;
        const owned = pod.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Job');
        const job = ref ? this.cluster.store.get('jobs', pod.metadata.namespace, ref.name) : undefined;
        // An orphan, or a pod whose Job is gone: nothing will count it, so the finalizer goes.
        if (!owned || !job || job.metadata.uid !== ref?.uid) this.later(() => this.release(pod));
        else if (job.metadata.deletionTimestamp && (pod.metadata.deletionTimestamp || isTerminal(pod)))
          this.later(() => this.release(pod));
      }
      if (!ref) return;
      // Keep a deleted pod's final state: it is counted (and matched against podFailurePolicy)
      // by that state, as the real controller does thanks to its tracking finalizer.
      if (e.type === 'DELETED')
        this.memory.get(ref.uid)?.vanished.set(e.object.metadata.uid ?? '', e.object as Pod);
      this.enqueue(objKey(e.object.metadata.namespace, ref.name));
    }
  }

  private later(fn: () => void) {
    setImmediate(() => {
      if (this.stopped) return;
      try {
        fn();
      } catch (err) {
        if (process.env.KUBE_SIM_DEBUG) console.error('job controller', err);
      }
    });
  }

  /** Remove the tracking finalizer from a pod (its current version), if it still has it. */
  private release(pod: KubeObject) {
    const cur = this.cluster.store.get('pods', pod.metadata.namespace, pod.metadata.name ?? '');
    if (!cur || cur.metadata.uid !== pod.metadata.uid) return;
    if (!cur.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) return;
    const next: KubeObject = { ...cur, metadata: { ...cur.metadata } };
    const left = (cur.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    if (left.length > 0) next.metadata.finalizers = left;
    else delete next.metadata.finalizers;
    this.cluster.commitUpdate(PODS, next);
  }

  private enqueue(key: string) {
    this.queue.add(key);
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain() {
    this.scheduled = false;
    const keys = [...this.queue];
    this.queue.clear();
    for (const key of keys) {
      const i = key.indexOf('/');
      try {
        this.reconcile(key.slice(0, i), key.slice(i + 1));
      } catch (err) {
        // A conflicting write raced us; the change that caused it queues the Job again.
        if (process.env.KUBE_SIM_DEBUG) console.error('job reconcile', key, err);
      }
    }
  }

  private forget(uid: string) {
    const m = this.memory.get(uid);
    if (!m) return;
    if (m.deadlineTimer) clearTimeout(m.deadlineTimer);
    if (m.ttlTimer) clearTimeout(m.ttlTimer);
    this.memory.delete(uid);
  }

  private mem(uid: string): JobMemory {
    let m = this.memory.get(uid);
    if (!m) {
      m = { tracked: new Map(), lastActive: new Set(), vanished: new Map(), failures: 0, lastFailureMs: 0 };
      this.memory.set(uid, m);
    }
    return m;
  }

  private podsOf(job: Job): Pod[] {
    return this.cluster.store
      .dependents(job.metadata.uid ?? '')
      .filter((d) => d.resource === 'pods')
      .map((d) => d.object as Pod)
      .filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid && r.controller));
  }

  reconcile(ns: string, name: string) {
    const job = this.cluster.store.get('jobs', ns, name) as Job | undefined;
    if (!job || job.metadata.deletionTimestamp) return;
    const uid = job.metadata.uid ?? '';
    if (isFinished(job)) {
      // Every pod is counted: none keeps its tracking finalizer.
      for (const p of this.podsOf(job)) this.release(p);
      // Nothing left to count or run: keep only the TTL timer, if any.
      if (job.spec.ttlSecondsAfterFinished === undefined) this.forget(uid);
      else {
        const fm = this.mem(uid);
        fm.tracked.clear();
        fm.lastActive = new Set();
        this.scheduleTtl(job, fm, job.status);
      }
      return;
    }
    const m = this.mem(uid);
    const pods = this.podsOf(job);
    const nowMs = Date.now();
    const r = reconcileJob({
      job,
      pods,
      tracked: m.tracked,
      lastActive: m.lastActive,
      nowMs,
      vanished: m.vanished,
      backoff: {
        baseMs: this.backoffMs,
        maxMs: this.backoffMaxMs,
        failures: m.failures,
        lastFailureMs: m.lastFailureMs,
      },
    });
    m.vanished.clear();
    for (const [podUid, how] of r.counted) {
      m.tracked.set(podUid, how);
      if (how === 'succeeded') m.failures = 0;
      else if (how === 'failed') {
        m.failures++;
        m.lastFailureMs = nowMs;
      }
    }

    if (r.finished) {
      this.scheduleTtl(job, m, r.status);
    }
    const suspended = job.spec.suspend === true;
    // Pods still active after this round: the live ones, minus those removed at once, plus new ones.
    const lastActive = new Set<string>();
    for (const p of pods) {
      if (p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
        lastActive.add(p.metadata.uid ?? '');
    }
    for (const p of r.delete) {
      if (suspended) m.tracked.set(p.metadata.uid ?? '', 'discarded');
      try {
        const d = this.cluster.delete(PODS, ns, p.metadata.name ?? '', {});
        if (d.removed) lastActive.delete(p.metadata.uid ?? '');
        this.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, SOURCE);
      } catch {
        // already gone
      }
    }
    for (const index of r.create) {
      const pod = this.createPod(job, index);
      if (pod) {
        lastActive.add(pod.metadata.uid ?? '');
        this.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, SOURCE);
      }
    }
    for (const ev of r.events) this.events.record(job, ev.type, ev.reason, ev.message, SOURCE);
    m.lastActive = lastActive;

    if (!jsonEqual(r.status, job.status ?? {})) {
      const cur = this.cluster.store.get('jobs', ns, name);
      if (cur && cur.metadata.uid === uid) {
        const next = { ...cur, metadata: { ...cur.metadata }, status: r.status } as Job;
        this.cluster.store.update('jobs', next);
      }
    }
    // Counted (in the status just written), or being deleted and no longer running: the pod's
    // tracking finalizer goes (a deleted one is counted from its final state once it is gone).
    for (const p of this.podsOf(job)) {
      if (!p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) continue;
      const counted = isTerminal(p) && m.tracked.has(p.metadata.uid ?? '');
      const gone =
        !!p.metadata.deletionTimestamp &&
        (p.metadata.deletionGracePeriodSeconds === 0 || !p.spec.nodeName || isTerminal(p));
      if (counted || gone || r.finished) this.release(p);
    }
    // One timer per Job, for the earliest time to look again (deadline or backoff).
    if (r.requeueAt !== undefined && (m.deadlineAt === undefined || r.requeueAt < m.deadlineAt)) {
      if (m.deadlineTimer) clearTimeout(m.deadlineTimer);
      const delay = Math.max(0, r.requeueAt - Date.now());
      m.deadlineAt = r.requeueAt;
      m.deadlineTimer = setTimeout(() => {
        m.deadlineTimer = undefined;
        m.deadlineAt = undefined;
        this.enqueue(objKey(ns, name));
      }, delay);
    }
  }

  private scheduleTtl(job: Job, m: JobMemory, status: Job['status']) {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || m.ttlTimer) return;
    const fin = status?.conditions?.find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    const finishedAt = Date.parse(
      status?.completionTime ?? fin?.lastTransitionTime ?? new Date().toISOString(),
    );
    const delay = Math.max(0, finishedAt + ttl * 1000 - Date.now());
    const ns = job.metadata.namespace ?? '';
    const name = job.metadata.name ?? '';
    const uid = job.metadata.uid;
    m.ttlTimer = setTimeout(() => {
      const cur = this.cluster.store.get('jobs', ns, name);
      if (!cur || cur.metadata.uid !== uid) return;
      try {
        this.cluster.delete(JOBS, ns, name, { propagationPolicy: 'Background', preconditions: { uid } });
      } catch {
        // gone already
      }
    }, delay);
  }

  private createPod(job: Job, index: number | undefined): Pod | undefined {
    const jobName = job.metadata.name ?? '';
    const tpl = clone(job.spec.template);
    const labels = { ...(tpl.metadata?.labels ?? {}) };
    const annotations = { ...(tpl.metadata?.annotations ?? {}) };
    const spec = tpl.spec;
    if (index !== undefined) {
      labels[INDEX_LABEL] = String(index);
      annotations[INDEX_LABEL] = String(index);
      spec.hostname ??= `${jobName}-${index}`;
      const addIndexEnv = (c: Container) => {
        c.env = [
          ...(c.env ?? []),
          {
            name: 'JOB_COMPLETION_INDEX',
            valueFrom: {
              fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${INDEX_LABEL}']` },
            },
          },
        ];
      };
      spec.containers.forEach(addIndexEnv);
      spec.initContainers?.forEach(addIndexEnv);
    }
    const base = index !== undefined ? `${jobName}-${index}-` : `${jobName}-`;
    // Pod names are capped at 63 chars with a 5-char suffix, like the real controller.
    const generateName = base.length > 58 ? base.slice(0, 58) : base;
    const body: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${generateName}${randomSuffix()}`,
        generateName,
        namespace: job.metadata.namespace ?? '',
        labels,
        annotations,
        finalizers: [JOB_TRACKING_FINALIZER],
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: jobName,
            uid: job.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec,
    };
    if (Object.keys(annotations).length === 0) delete body.metadata.annotations;
    try {
      return this.cluster.create(PODS, job.metadata.namespace, body, false, CONTROLLER) as Pod;
    } catch (err) {
      if (process.env.KUBE_SIM_DEBUG) console.error('create pod', err);
      return undefined;
    }
  }
}
