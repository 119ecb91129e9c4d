// Container logs: lines with their timestamps, kept until the pod is deleted, served with the
// kubelet's options (tailLines, sinceSeconds/sinceTime, timestamps, limitBytes, follow). Bounded as
// the kubelet bounds them: the current log file is rotated once it would pass containerLogMaxSize
// (10 MiB by default) and only the current file is served; a line longer than the runtime's 16 KiB
// buffer is split into partial records, so no single line can grow without bound either.

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

/** kubelet's default containerLogMaxSize */
export const DEFAULT_CONTAINER_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** containerd splits lines longer than this into partial ("P") records */
export const MAX_LINE_BYTES = 16 * 1024;

/** Bytes a line takes in the CRI log file: `<RFC3339Nano> stdout F <text>\n`. */
function fileBytes(l: LogLine): number {
  return l.ts.length + 10 + Buffer.byteLength(l.text) + (l.nl ? 1 : 0);
}

export class ContainerLog {
  /** the current log file: what a log request serves */
  readonly lines: LogLine[] = [];
  /** size of the current log file */
  bytes = 0;
  /** rotations so far (tests and diagnostics) */
  rotations = 0;
  private readonly maxBytes: number;
  private partial = '';
  private partialAt: { t: number; ts: string } | undefined;
  /** followers (`kubectl logs -f`); created on first use, as most logs are never followed */
  private listeners: Set<(l: LogLine | null) => void> | undefined;
  ended = false;

  constructor(maxBytes = DEFAULT_CONTAINER_LOG_MAX_BYTES) {
    this.maxBytes = maxBytes;
  }

  write(chunk: string) {
    if (this.ended || chunk === '') return;
    let rest = chunk;
    while (rest !== '') {
      const i = rest.indexOf('\n');
      if (i < 0) {
        if (!this.partialAt) this.partialAt = stamp();
        this.partial += rest;
        // A runtime reads output through a fixed buffer: an endless line becomes partial records.
        if (this.partial.length >= MAX_LINE_BYTES / 4 && Buffer.byteLength(this.partial) >= MAX_LINE_BYTES) {
          this.push({ ...this.partialAt, text: this.partial, nl: false });
          this.partial = '';
          this.partialAt = undefined;
        }
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
    const size = fileBytes(l);
    if (this.bytes + size > this.maxBytes && this.lines.length > 0) {
      // Rotation: the current file becomes a rotated one, which the log endpoint never serves.
      this.lines.length = 0;
      this.bytes = 0;
      this.rotations++;
    }
    this.lines.push(l);
    this.bytes += size;
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
  private readonly maxBytes: number;

  constructor(containerLogMaxBytes = DEFAULT_CONTAINER_LOG_MAX_BYTES) {
    this.maxBytes = containerLogMaxBytes;
  }

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
      log = new ContainerLog(this.maxBytes);
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
