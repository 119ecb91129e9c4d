// The node: binds new pods to itself, runs each container as a local process (process mode) or
// completes it after a set time (fast mode), init containers first and one at a time, reports
// status like the real kubelet, keeps logs, restarts containers in place as restartPolicy says
// (with the kubelet's crash-loop back-off), and carries out graceful deletion (SIGTERM, then
// SIGKILL after the grace period).
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from './cluster.ts';
import { containerEnv, expand } from './container-env.ts';
import type { EventRecorder } from './events.ts';
import type { LogStore } from './logs.ts';
import { cond, derivePhase, incompleteMessage, unreadyMessage } from './pod-phase.ts';
import { resolveRunAs } from './security-context.ts';
import type { StoreEvent } from './store.ts';
import { terminationMessage } from './termination-message.ts';
import type { Container, ContainerState, ContainerStatus, Pod, PodStatus } from './types.ts';
import { now, randomHex } from './types.ts';

export const NODE_NAME = 'kube-sim-node';
const NODE_IP = '10.0.0.10';

export interface FastOptions {
  durationMs?: number;
  exitCode?: number;
  log?: string;
}

export interface KubeletOptions {
  mode: 'process' | 'fast';
  fast: FastOptions;
  /** In process mode, run the containers this returns options for in fast mode instead (tests mixing both). */
  fastFor?: ((pod: Pod, container: Container) => FastOptions | undefined) | undefined;
  workDir: string;
  /** first crash-loop back-off delay (kubelet: 10 s), doubling per restart */
  restartBackoffMs?: number;
  /** crash-loop back-off cap (kubelet: 5 min) */
  restartBackoffMaxMs?: number;
  /** the uid of a container with runAsNonRoot and no runAsUser (default 65532) */
  nonRootUid?: number;
}

export const DEFAULT_RESTART_BACKOFF_MS = 10_000;
export const MAX_RESTART_BACKOFF_MS = 5 * 60_000;

type Terminated = NonNullable<ContainerState['terminated']>;

interface ContainerRun {
  name: string;
  /** an init container: runs to completion before the next one, and all before the regular ones */
  init: boolean;
  /** its turn has not come (a later init container, or a regular one while the pod initialises) */
  pending: boolean;
  proc?: ChildProcess;
  timer?: NodeJS.Timeout;
  /** Fast mode: ends the running instance now, as its timer would (KubeSim.finishPod). */
  finishFast?: () => void;
  /** the current instance: its id and when it started */
  containerID?: string;
  startedAt?: string;
  /** the current instance has exited (a restart may follow) */
  exited: boolean;
  /** no instance will run again */
  done: boolean;
  /** instances started after the first (restartCount) */
  restarts: number;
  /** the last exited instance and the one before it (state and lastState while not running) */
  lastExit?: Terminated;
  prevExit?: Terminated;
  /** crash-loop back-off: the current delay (none before the first restart) and when it was set */
  backoffMs?: number;
  backoffAt: number;
  restartTimer?: NodeJS.Timeout;
}

interface PodRun {
  uid: string;
  ns: string;
  name: string;
  containers: Map<string, ContainerRun>;
  scratch?: string;
  terminating: boolean;
  killTimer?: NodeJS.Timeout;
  startTimer?: NodeJS.Timeout;
  removed: boolean;
}

const SOURCE = { component: 'kubelet', host: NODE_NAME };
const SCHEDULER = { component: 'default-scheduler' };

/** The object reference of a container in events: spec.containers{main}, spec.initContainers{setup}. */
function fieldPath(cr: ContainerRun): string {
  return `spec.${cr.init ? 'initContainers' : 'containers'}{${cr.name}}`;
}

/**
 * Whether a container that exited is started again in the same pod: never with restartPolicy
 * Never; always with Always (whatever the exit code); otherwise only after a failure. Init
 * containers must exit 0 once, so they are restarted only after a failure.
 */
function restartsInPlace(restartPolicy: string | undefined, init: boolean, exitCode: number): boolean {
  const policy = restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'Always' && !init) return true;
  return exitCode !== 0;
}

/** A duration as Go prints it (10s, 1m20s, 5m0s, 50ms): the kubelet's back-off message uses it. */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = `${Number(((ms % 60_000) / 1000).toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

/** Whether a command name exists in one of the PATH directories. */
function onPath(cmd: string, path: string | undefined): boolean {
  return (path ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, cmd)));
}

/** Running a process as another user takes root. */
function canSwitchUser(): boolean {
  return process.getuid?.() === 0;
}

function signalNumber(sig: NodeJS.Signals | null): number {
  if (!sig) return 0;
  return osConstants.signals[sig] ?? 0;
}

export class Kubelet {
  private readonly cluster: Cluster;
  private readonly logs: LogStore;
  private readonly events: EventRecorder;
  private readonly opts: KubeletOptions;
  private readonly runs = new Map<string, PodRun>();
  private ipCounter = 0;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(cluster: Cluster, logs: LogStore, events: EventRecorder, opts: KubeletOptions) {
    this.cluster = cluster;
    this.logs = logs;
    this.events = events;
    this.opts = opts;
  }

  start() {
    if (this.opts.mode === 'process' && canSwitchUser()) {
      // Each pod's directory is owned by the pod's user; it must be able to reach it.
      const mode = statSync(this.opts.workDir).mode & 0o7777;
      if ((mode & 0o001) === 0) chmodSync(this.opts.workDir, mode | 0o001);
    }
    this.unsubscribe = this.cluster.store.subscribe((e) => this.onEvent(e));
    this.cluster.onPodTerminating = (pod) => setImmediate(() => this.terminate(pod));
  }

  async stop() {
    this.stopped = true;
    this.unsubscribe?.();
    const exits: Promise<void>[] = [];
    for (const run of this.runs.values()) {
      if (run.killTimer) clearTimeout(run.killTimer);
      if (run.startTimer) clearTimeout(run.startTimer);
      for (const c of run.containers.values()) {
        if (c.timer) clearTimeout(c.timer);
        if (c.restartTimer) clearTimeout(c.restartTimer);
        const p = c.proc;
        if (p && p.exitCode === null && p.signalCode === null) {
          exits.push(new Promise((r) => p.once('exit', () => r())));
          this.signal(p, 'SIGKILL');
        }
      }
      if (run.scratch) rmSync(run.scratch, { recursive: true, force: true });
    }
    await Promise.all(exits);
    this.runs.clear();
  }

  private onEvent(e: StoreEvent) {
    if (e.resource !== 'pods' || this.stopped) return;
    const pod = e.object as Pod;
    if (e.type === 'ADDED' && !pod.spec.nodeName && !pod.metadata.deletionTimestamp) {
      setImmediate(() =>
        this.admit(pod.metadata.namespace ?? '', pod.metadata.name ?? '', pod.metadata.uid ?? ''),
      );
    } else if (e.type === 'DELETED') {
      this.forget(pod.metadata.uid ?? '');
    }
  }

  private current(ns: string, name: string, uid: string): Pod | undefined {
    const p = this.cluster.store.get('pods', ns, name) as Pod | undefined;
    return p && p.metadata.uid === uid ? p : undefined;
  }

  private writeStatus(ns: string, name: string, uid: string, mutate: (p: Pod) => void): Pod | undefined {
    const cur = this.current(ns, name, uid);
    if (!cur) return undefined;
    // Stored objects are immutable: copy only the parts a status write may change.
    const next: Pod = {
      ...cur,
      metadata: { ...cur.metadata },
      spec: { ...cur.spec },
      status: { ...(cur.status ?? {}) },
    };
    mutate(next);
    return this.cluster.store.update('pods', next) as Pod;
  }

  private nextIp(): string {
    this.ipCounter++;
    return `10.244.${(this.ipCounter >> 8) & 255}.${this.ipCounter & 255}`;
  }

  /**
   * Schedule to this node and report ContainerCreating (PodInitializing when there are init
   * containers); then start the first init container, or the containers.
   */
  private admit(ns: string, name: string, uid: string) {
    const cur = this.current(ns, name, uid);
    if (!cur || cur.spec.nodeName || cur.metadata.deletionTimestamp || this.stopped) return;
    const ip = this.nextIp();
    const inits = cur.spec.initContainers ?? [];
    const containers = cur.spec.containers;
    const unready = unreadyMessage(containers.map((c) => c.name));
    const waiting = (c: Container): ContainerStatus => ({
      name: c.name,
      state: { waiting: { reason: inits.length > 0 ? 'PodInitializing' : 'ContainerCreating' } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: c.image ?? '',
      imageID: '',
      started: false,
    });
    const ts = now();
    const pod = this.writeStatus(ns, name, uid, (p) => {
      p.spec.nodeName = NODE_NAME;
      const st: PodStatus = {
        phase: 'Pending',
        conditions: [
          cond('PodReadyToStartContainers', true),
          inits.length > 0
            ? cond(
                'Initialized',
                false,
                'ContainersNotInitialized',
                incompleteMessage(inits.map((c) => c.name)),
              )
            : cond('Initialized', true),
          cond('Ready', false, 'ContainersNotReady', unready),
          cond('ContainersReady', false, 'ContainersNotReady', unready),
          cond('PodScheduled', true),
        ],
        hostIP: NODE_IP,
        hostIPs: [{ ip: NODE_IP }],
        podIP: ip,
        podIPs: [{ ip }],
        startTime: ts,
        containerStatuses: containers.map(waiting),
        qosClass: p.status?.qosClass ?? 'BestEffort',
      };
      if (inits.length > 0) st.initContainerStatuses = inits.map(waiting);
      p.status = st;
    });
    if (!pod) return;
    const run: PodRun = { uid, ns, name, containers: new Map(), terminating: false, removed: false };
    this.runs.set(uid, run);
    this.events.record(
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${ns}/${name} to ${NODE_NAME}`,
      SCHEDULER,
    );
    const add = (c: Container, init: boolean, pending: boolean) => {
      run.containers.set(c.name, {
        name: c.name,
        init,
        pending,
        exited: false,
        done: false,
        restarts: 0,
        backoffAt: 0,
      });
    };
    for (const [i, c] of inits.entries()) add(c, true, i > 0);
    for (const c of containers) add(c, false, inits.length > 0);
    const first = inits.length > 0 ? inits.slice(0, 1) : containers;
    for (const c of first) this.recordPulled(pod, c);
    // Tests can hold a pod in ContainerCreating with this annotation.
    const delay = Number(pod.metadata.annotations?.['kube-sim.io/start-delay-ms'] ?? 0);
    const startFirst = () => {
      for (const c of first) this.startContainer(run, c);
    };
    if (Number.isFinite(delay) && delay > 0) run.startTimer = setTimeout(startFirst, delay);
    else setImmediate(startFirst);
  }

  /** The event a real kubelet records before every container start (images are always present here). */
  private recordPulled(pod: Pod, c: Container) {
    const cr = this.runs.get(pod.metadata.uid ?? '')?.containers.get(c.name);
    if (!cr) return;
    this.events.record(
      pod,
      'Normal',
      'Pulled',
      `Container image "${c.image}" already present on machine`,
      SOURCE,
      fieldPath(cr),
    );
  }

  /** An init container exited 0: start the next one, or, after the last, the regular containers. */
  private startNext(run: PodRun, pod: Pod, done: ContainerRun) {
    const inits = pod.spec.initContainers ?? [];
    const i = inits.findIndex((c) => c.name === done.name);
    const next = i + 1 < inits.length ? inits.slice(i + 1, i + 2) : pod.spec.containers;
    for (const c of next) {
      const cr = run.containers.get(c.name);
      if (!cr?.pending) continue;
      cr.pending = false;
      this.recordPulled(pod, c);
      this.startContainer(run, c);
    }
  }

  /** The spec of a container of the pod (init or regular). */
  private specOf(pod: Pod, cr: ContainerRun): Container | undefined {
    const list = cr.init ? (pod.spec.initContainers ?? []) : pod.spec.containers;
    return list.find((c) => c.name === cr.name);
  }

  /** Write one container's status and the pod phase and conditions that follow from it. */
  private writeContainer(
    run: PodRun,
    cr: ContainerRun,
    update: (cs: ContainerStatus) => ContainerStatus,
  ): Pod | undefined {
    return this.writeStatus(run.ns, run.name, run.uid, (p) => {
      const st = p.status ?? {};
      const key = cr.init ? 'initContainerStatuses' : 'containerStatuses';
      st[key] = (st[key] ?? []).map((cs) => (cs.name === cr.name ? update(cs) : cs));
      derivePhase(
        p.spec,
        st,
        [...run.containers.values()].every((c) => c.done),
      );
      p.status = st;
    });
  }

  private containerId(): string {
    return `containerd://${randomHex(64)}`;
  }

  private startContainer(run: PodRun, c: Container) {
    const pod = this.current(run.ns, run.name, run.uid);
    const cr = run.containers.get(c.name);
    if (!pod || !cr || cr.done || cr.pending || run.terminating || this.stopped) return;
    const runAs = resolveRunAs(pod, c, this.opts.nonRootUid);
    if ('error' in runAs) return this.configError(run, cr, runAs.error);
    // A new instance: its own id and log; the previous one stays in lastState.
    const containerID = this.containerId();
    cr.containerID = containerID;
    cr.exited = false;
    cr.proc = undefined;
    delete cr.startedAt;
    const log = this.logs.open(run.uid, c.name, containerID);
    const fast = this.opts.mode === 'fast' ? this.opts.fast : this.opts.fastFor?.(pod, c);
    if (fast) return this.startFast(run, pod, c, containerID, fast);

    const base: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOSTNAME: String(pod.spec.hostname ?? pod.metadata.name ?? ''),
    };
    const env = containerEnv(pod, c, base);
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map((s) => expand(s, env));
    if (!run.scratch) run.scratch = this.podDir(run, runAs);
    env.HOME ??= run.scratch;
    const cmd = argv[0];
    if (cmd === undefined) {
      // No command and no image entrypoint to fall back to: the container exits at once.
      this.markRunning(run, c.name, containerID);
      this.markTerminated(run, c.name, 0, 'Completed', containerID);
      return;
    }
    let proc: ChildProcess;
    try {
      proc = spawn(cmd, argv.slice(1), {
        env,
        cwd: run.scratch,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        // Only root can run a process as another user; otherwise it runs as kube-sim's own.
        ...(canSwitchUser() ? { uid: runAs.uid, gid: runAs.gid } : {}),
      });
    } catch (e) {
      this.startError(run, c, cmd, e, containerID, env);
      return;
    }
    cr.proc = proc;
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => log.write(d));
    proc.stderr?.on('data', (d: string) => log.write(d));
    proc.once('spawn', () => this.markRunning(run, c.name, containerID));
    proc.once('error', (e) => {
      if (cr.exited || cr.containerID !== containerID) return;
      if (!cr.startedAt) this.startError(run, c, cmd, e, containerID, env);
    });
    proc.once('exit', (code, signal) => {
      // stdio may still hold buffered output: wait for it briefly (a grandchild could keep it open).
      const finish = () => {
        if (cr.exited || cr.containerID !== containerID) return;
        this.killGroup(proc);
        this.markTerminated(
          run,
          c.name,
          code ?? 128 + signalNumber(signal),
          code === 0 ? 'Completed' : 'Error',
          containerID,
        );
      };
      const t = setTimeout(finish, 200);
      proc.once('close', () => {
        clearTimeout(t);
        finish();
      });
    });
  }

  /**
   * The pod's own working directory (and HOME), private to the user its first container runs as:
   * a workload sees what it is given, not kube-sim's files or another pod's.
   */
  private podDir(run: PodRun, runAs: { uid: number; gid: number }): string {
    const dir = mkdtempSync(join(this.opts.workDir, `kube-sim-${run.name}-`));
    if (canSwitchUser()) chownSync(dir, runAs.uid, runAs.gid);
    return dir;
  }

  /** The kubelet refuses to create the container (runAsNonRoot vs a root user): it stays waiting. */
  private configError(run: PodRun, cr: ContainerRun, message: string) {
    const pod = this.writeContainer(run, cr, (cs) => ({
      ...cs,
      state: { waiting: { reason: 'CreateContainerConfigError', message } },
    }));
    if (pod) this.events.record(pod, 'Warning', 'Failed', `Error: ${message}`, SOURCE, fieldPath(cr));
  }

  private startError(
    run: PodRun,
    c: Container,
    cmd: string,
    e: unknown,
    containerID: string,
    env: Record<string, string>,
  ) {
    let code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    // execvp reports EACCES when a PATH entry is not searchable by the container's user, even if
    // the command is in none of them: runc says "not found" then.
    if (code === 'EACCES' && !cmd.includes('/') && !onPath(cmd, env.PATH)) code = 'ENOENT';
    const why =
      code === 'ENOENT'
        ? `exec: "${cmd}": executable file not found in $PATH`
        : code === 'EACCES'
          ? `exec: "${cmd}": permission denied`
          : `exec: "${cmd}": ${String(e)}`;
    const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown`;
    this.markTerminated(run, c.name, 128, 'StartError', containerID, message, '1970-01-01T00:00:00Z');
    const pod = this.current(run.ns, run.name, run.uid);
    const cr = run.containers.get(c.name);
    if (pod && cr) this.events.record(pod, 'Warning', 'Failed', `Error: ${message}`, SOURCE, fieldPath(cr));
  }

  /** Fast mode: no process. Init containers complete at once (exit 0, no output). */
  private startFast(run: PodRun, pod: Pod, c: Container, containerID: string, fast: FastOptions) {
    const cr = run.containers.get(c.name);
    if (!cr) return;
    const a = pod.metadata.annotations ?? {};
    const num = (v: string | undefined, d: number) => {
      const n = v === undefined ? Number.NaN : Number(v);
      return Number.isFinite(n) ? n : d;
    };
    const durationMs = cr.init ? 0 : num(a['kube-sim.io/fast-duration-ms'], fast.durationMs ?? 100);
    const exitCode = cr.init ? 0 : num(a['kube-sim.io/fast-exit-code'], fast.exitCode ?? 0);
    const text = cr.init ? '' : (a['kube-sim.io/fast-log'] ?? fast.log ?? '');
    this.markRunning(run, c.name, containerID);
    const log = this.logs.open(run.uid, c.name, containerID);
    if (text) log.write(text.endsWith('\n') ? text : `${text}\n`);
    cr.finishFast = () =>
      this.markTerminated(run, c.name, exitCode, exitCode === 0 ? 'Completed' : 'Error', containerID);
    cr.timer = setTimeout(cr.finishFast, durationMs);
  }

  /**
   * Fast mode: ends the pod's running fast containers now, with the exit code they would have had
   * at the end of their duration (benchmarks run long pods and finish them on demand). False when
   * the pod has no running fast container (unknown, not started yet, already ended or terminating).
   */
  finishFast(ns: string, name: string): boolean {
    const uid = this.cluster.store.get('pods', ns, name)?.metadata.uid;
    const run = uid === undefined ? undefined : this.runs.get(uid);
    if (!run || run.terminating || run.ns !== ns || run.name !== name) return false;
    let ended = false;
    for (const cr of run.containers.values()) {
      if (cr.init || cr.done || cr.exited || !cr.finishFast) continue;
      cr.finishFast();
      ended = true;
    }
    return ended;
  }

  private markRunning(run: PodRun, name: string, containerID: string) {
    const cr = run.containers.get(name);
    if (!cr || cr.done || cr.exited || cr.containerID !== containerID) return;
    cr.startedAt = now();
    const startedAt = cr.startedAt;
    const lastState: ContainerState = cr.lastExit ? { terminated: cr.lastExit } : {};
    const restartCount = cr.restarts;
    const pod = this.writeContainer(run, cr, (cs) => ({
      ...cs,
      state: { running: { startedAt } },
      lastState,
      restartCount,
      // No readiness probes here: a running container is ready; an init container is ready
      // only once it has completed.
      ready: !cr.init,
      started: true,
      containerID,
      imageID: `${cs.image}@sha256:${'0'.repeat(64)}`,
    }));
    if (pod) {
      this.events.record(pod, 'Normal', 'Created', `Created container: ${name}`, SOURCE, fieldPath(cr));
      this.events.record(pod, 'Normal', 'Started', `Started container ${name}`, SOURCE, fieldPath(cr));
    }
  }

  private markTerminated(
    run: PodRun,
    name: string,
    exitCode: number,
    reason: string,
    containerID?: string,
    message?: string,
    startedAtOverride?: string,
  ) {
    const cr = run.containers.get(name);
    if (!cr || cr.done || cr.exited) return;
    if (containerID !== undefined && containerID !== cr.containerID) return;
    cr.exited = true;
    cr.proc = undefined;
    if (cr.timer) clearTimeout(cr.timer);
    const id = containerID ?? cr.containerID;
    const log = id !== undefined ? this.logs.get(run.uid, name, id) : undefined;
    log?.end();
    const finishedAt = now();
    const startedAt = startedAtOverride ?? cr.startedAt ?? finishedAt;
    const cur = this.current(run.ns, run.name, run.uid);
    const spec = [...(cur?.spec.initContainers ?? []), ...(cur?.spec.containers ?? [])].find(
      (c) => c.name === name,
    );
    const terminated: Terminated = { exitCode, reason, startedAt, finishedAt };
    const text = terminationMessage({
      policy: spec?.terminationMessagePolicy,
      exitCode,
      reason,
      runtimeMessage: message,
      lines: log?.lines ?? [],
    });
    if (text) terminated.message = text;
    if (id) terminated.containerID = id;
    cr.prevExit = cr.lastExit;
    cr.lastExit = terminated;
    const live = !!cur && !cur.metadata.deletionTimestamp && !run.terminating && !this.stopped;
    const restart = live && restartsInPlace(cur?.spec.restartPolicy, cr.init, exitCode);
    if (!restart) cr.done = true;
    // An init container that failed for good: the containers after it never start.
    if (cr.init && cr.done && exitCode !== 0) {
      for (const c of run.containers.values()) if (c.pending) c.done = true;
    }
    const pod = this.writeContainer(run, cr, (cs) => {
      const next: ContainerStatus = {
        ...cs,
        state: { terminated },
        lastState: cr.prevExit ? { terminated: cr.prevExit } : {},
        restartCount: cr.restarts,
        ready: cr.init && exitCode === 0,
        started: false,
      };
      if (id) next.containerID = id;
      return next;
    });
    if (!pod) return;
    if (restart) this.scheduleRestart(run, cr, Date.parse(finishedAt));
    else if (cr.init && exitCode === 0 && live) this.startNext(run, pod, cr);
    else if ([...run.containers.values()].every((c) => c.done)) this.finished(run, pod);
  }

  /**
   * The kubelet's crash-loop back-off: with no back-off yet (or one unused for twice the cap) the
   * container restarts at once; otherwise it waits in CrashLoopBackOff for the current delay,
   * which then doubles (capped).
   */
  private scheduleRestart(run: PodRun, cr: ContainerRun, exitedAtMs: number) {
    const base = this.opts.restartBackoffMs ?? DEFAULT_RESTART_BACKOFF_MS;
    const max = this.opts.restartBackoffMaxMs ?? MAX_RESTART_BACKOFF_MS;
    if (cr.backoffMs === undefined || exitedAtMs - cr.backoffAt > 2 * max) {
      cr.backoffMs = Math.min(base, max);
      cr.backoffAt = Date.now();
      cr.restartTimer = setTimeout(() => this.restart(run, cr), 0);
      return;
    }
    const delay = cr.backoffMs;
    const podRef = `${run.name}_${run.ns}(${run.uid})`;
    const last = cr.lastExit;
    const pod = this.writeContainer(run, cr, (cs) => ({
      ...cs,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(delay)} restarting failed container=${cr.name} pod=${podRef}`,
        },
      },
      lastState: last ? { terminated: last } : {},
    }));
    if (!pod) return;
    this.events.record(
      pod,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${cr.name} in pod ${podRef}`,
      SOURCE,
      fieldPath(cr),
    );
    cr.restartTimer = setTimeout(() => {
      cr.backoffMs = Math.min(delay * 2, max);
      cr.backoffAt = Date.now();
      this.restart(run, cr);
    }, delay);
  }

  private restart(run: PodRun, cr: ContainerRun) {
    cr.restartTimer = undefined;
    if (cr.done || !cr.exited || run.terminating || run.removed || this.stopped) return;
    const pod = this.current(run.ns, run.name, run.uid);
    const c = pod && this.specOf(pod, cr);
    if (!pod || !c) return;
    cr.restarts++;
    this.recordPulled(pod, c);
    this.startContainer(run, c);
  }

  /** A container waiting to restart when its pod is deleted: it stays terminated, as it last exited. */
  private stopRestarting(run: PodRun, cr: ContainerRun) {
    if (cr.restartTimer) clearTimeout(cr.restartTimer);
    cr.restartTimer = undefined;
    cr.done = true;
    const last = cr.lastExit;
    const pod = this.writeContainer(run, cr, (cs) =>
      last
        ? {
            ...cs,
            state: { terminated: last },
            lastState: cr.prevExit ? { terminated: cr.prevExit } : {},
            ready: false,
            started: false,
          }
        : cs,
    );
    if (pod && [...run.containers.values()].every((c) => c.done)) this.finished(run, pod);
  }

  /** All containers done: a pod being deleted is now removed. */
  private finished(run: PodRun, pod: Pod) {
    if (run.killTimer) clearTimeout(run.killTimer);
    if (pod.metadata.deletionTimestamp) this.remove(run);
    // Nothing left to run or clean up (fast mode): forget the run; logs stay until the pod goes.
    else if (!run.scratch) this.runs.delete(run.uid);
  }

  private remove(run: PodRun) {
    if (run.removed) return;
    run.removed = true;
    const cur = this.current(run.ns, run.name, run.uid);
    if (cur) this.cluster.finishPodDeletion(run.ns, run.name);
  }

  private signal(p: ChildProcess, sig: NodeJS.Signals) {
    try {
      if (p.pid !== undefined) process.kill(-p.pid, sig);
    } catch {
      try {
        p.kill(sig);
      } catch {
        // already gone
      }
    }
  }

  private killGroup(p: ChildProcess) {
    try {
      if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  }

  /** Graceful deletion: SIGTERM now, SIGKILL when the grace period ends; removal once all exited. */
  terminate(pod: Pod) {
    const uid = pod.metadata.uid ?? '';
    const run = this.runs.get(uid);
    const cur = this.current(pod.metadata.namespace ?? '', pod.metadata.name ?? '', uid);
    if (!cur) return;
    if (!run) {
      this.cluster.finishPodDeletion(cur.metadata.namespace ?? '', cur.metadata.name ?? '');
      return;
    }
    const grace = cur.metadata.deletionGracePeriodSeconds ?? 30;
    if (run.killTimer) clearTimeout(run.killTimer);
    const alreadyTerminating = run.terminating;
    run.terminating = true;
    // Containers whose turn had not come never start.
    for (const c of run.containers.values()) if (c.pending) c.done = true;
    if ([...run.containers.values()].every((c) => c.done)) {
      this.remove(run);
      return;
    }
    if (!alreadyTerminating) {
      for (const c of run.containers.values()) {
        if (!c.done && !c.exited)
          this.events.record(cur, 'Normal', 'Killing', `Stopping container ${c.name}`, SOURCE, fieldPath(c));
      }
    }
    for (const c of run.containers.values()) {
      if (c.done) continue;
      if (c.proc && !c.exited) {
        if (!alreadyTerminating) this.signal(c.proc, 'SIGTERM');
      } else if (c.exited) {
        // exited, waiting to restart: nothing to stop
        this.stopRestarting(run, c);
      } else {
        // fast mode or not yet started: stops at once, as a SIGTERM'd process would
        this.markTerminated(run, c.name, c.startedAt ? 143 : 137, 'Error');
      }
    }
    if ([...run.containers.values()].every((c) => c.done)) return;
    run.killTimer = setTimeout(() => {
      for (const c of run.containers.values()) if (c.proc && !c.exited) this.signal(c.proc, 'SIGKILL');
    }, grace * 1000);
  }

  private forget(uid: string) {
    const run = this.runs.get(uid);
    this.logs.drop(uid);
    if (!run) return;
    run.removed = true;
    this.runs.delete(uid);
    if (run.killTimer) clearTimeout(run.killTimer);
    if (run.startTimer) clearTimeout(run.startTimer);
    for (const c of run.containers.values()) {
      if (c.timer) clearTimeout(c.timer);
      if (c.restartTimer) clearTimeout(c.restartTimer);
      if (c.proc && !c.exited) this.signal(c.proc, 'SIGKILL');
      c.done = true;
    }
    if (run.scratch) rmSync(run.scratch, { recursive: true, force: true });
  }
}
