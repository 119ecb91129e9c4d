// Container logs: lines with their timestamps, kept until the pod is deleted, served with the
// kubelet's options (tailLines, sinceSeconds/sinceTime, timestamps, limitBytes, follow).

export interface LogLine {
  /** epoch ms */
  t: number;
  /** RFC3339Nano as the kubelet prints it with timestamps=true */
  ts: string;
  text: string;
  /** false only for a final line that did not end in "\n" */
  nl: boolean;
}

/** RFC3339 with nanoseconds and trailing zeros trimmed, like Go's time.RFC3339Nano. */
export function rfc3339Nano(ms: number, subMsNanos = 0): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const frac = `${iso.slice(20, 23)}${String(subMsNanos).padStart(6, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

function stamp(): { t: number; ts: string } {
  const t = Date.now();
  const sub = Number(process.hrtime.bigint() % 1_000_000n);
  return { t, ts: rfc3339Nano(t, sub) };
}

export class ContainerLog {
  readonly lines: LogLine[] = [];
  private partial = '';
  private partialAt: { t: number; ts: string } | undefined;
  /** followers (`kubectl logs -f`); created on first use, as most logs are never followed */
  private listeners: Set<(l: LogLine | null) => void> | undefined;
  ended = false;

  write(chunk: string) {
    if (this.ended || chunk === '') return;
    let rest = chunk;
    while (rest !== '') {
      const i = rest.indexOf('\n');
      if (i < 0) {
        if (!this.partialAt) this.partialAt = stamp();
        this.partial += rest;
        return;
      }
      const at = this.partialAt ?? stamp();
      this.push({ ...at, text: this.partial + rest.slice(0, i), nl: true });
      this.partial = '';
      this.partialAt = undefined;
      rest = rest.slice(i + 1);
    }
  }

  private push(l: LogLine) {
    this.lines.push(l);
    if (this.listeners) for (const fn of this.listeners) fn(l);
  }

  end() {
    if (this.ended) return;
    if (this.partial !== '') {
      this.push({ ...(this.partialAt ?? stamp()), text: this.partial, nl: false });
      this.partial = '';
    }
    this.ended = true;
    if (this.listeners) for (const fn of this.listeners) fn(null);
    this.listeners = undefined;
  }

  /** Subscribe to new lines; `null` means the container has terminated. */
  follow(fn: (l: LogLine | null) => void): () => void {
    this.listeners ??= new Set();
    const set = this.listeners;
    set.add(fn);
    return () => set.delete(fn);
  }
}

export interface LogQuery {
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

export function formatLine(l: LogLine, timestamps: boolean | undefined): string {
  const body = l.nl ? `${l.text}\n` : l.text;
  return timestamps ? `${l.ts} ${body}` : body;
}

/** The lines a non-follow request returns (and the backlog of a follow request). */
export function selectLines(lines: readonly LogLine[], q: LogQuery, nowMs = Date.now()): LogLine[] {
  let out: readonly LogLine[] = lines;
  let since: number | undefined;
  if (q.sinceSeconds !== undefined) since = nowMs - q.sinceSeconds * 1000;
  else if (q.sinceTime) since = Date.parse(q.sinceTime);
  if (since !== undefined && !Number.isNaN(since)) {
    const s = since;
    out = out.filter((l) => l.t >= s);
  }
  if (q.tailLines !== undefined) out = q.tailLines <= 0 ? [] : out.slice(-q.tailLines);
  return [...out];
}

/**
 * Per pod uid, container name and container instance (containerID); removed with the pod. Like the
 * kubelet's container GC (one dead instance kept per container), only the newest instance and the
 * one before it are kept: the ones a pod's status can name (state and lastState).
 */
export class LogStore {
  private readonly byPod = new Map<string, Map<string, Map<string, ContainerLog>>>();

  /** The log of one container instance, or of the newest one when containerID is not given. */
  get(podUid: string, container: string, containerID?: string): ContainerLog | undefined {
    const m = this.byPod.get(podUid)?.get(container);
    if (!m) return undefined;
    if (containerID !== undefined) return m.get(containerID);
    let last: ContainerLog | undefined;
    for (const l of m.values()) last = l;
    return last;
  }

  /** The log of a container instance, created on first use (dropping instances older than the previous one). */
  open(podUid: string, container: string, containerID: string): ContainerLog {
    let pod = this.byPod.get(podUid);
    if (!pod) {
      pod = new Map();
      this.byPod.set(podUid, pod);
    }
    let m = pod.get(container);
    if (!m) {
      m = new Map();
      pod.set(container, m);
    }
    let log = m.get(containerID);
    if (!log) {
      log = new ContainerLog();
      m.set(containerID, log);
      for (const [id, old] of m) {
        if (m.size <= 2) break;
        old.end();
        m.delete(id);
      }
    }
    return log;
  }

  drop(podUid: string) {
    const pod = this.byPod.get(podUid);
    if (!pod) return;
    for (const m of pod.values()) for (const l of m.values()) l.end();
    this.byPod.delete(podUid);
  }
}
