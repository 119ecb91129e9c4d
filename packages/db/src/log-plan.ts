/** One log line as read from a pod. */
export interface LogLineIn {
  ts: Date | null;
  line: string;
}

export interface LogRow {
  pipeline_id: string;
  attempt: number;
  pod_name: string;
  ts: Date | null;
  line: string;
}

export interface LogPlan {
  rows: LogRow[];
  /** Bytes of log lines in `rows` (the marker line not counted). */
  bytes: number;
  /** The cap was reached: the last row is the truncation marker and nothing after it is stored. */
  truncated: boolean;
}

export const truncationMarker = (capBytes: number) =>
  `[log truncated: size cap of ${capBytes} bytes reached]`;

/**
 * A workload's output as Postgres text can hold it: a NUL (which text cannot store) and a lone
 * surrogate (which is not UTF-8) become U+FFFD, as an invalid byte does when the output is decoded.
 * One bad character never costs the batch it is in.
 */
export function storableText(s: string): string {
  const wf = s.isWellFormed() ? s : s.toWellFormed();
  return wf.includes('\0') ? wf.replaceAll('\0', '\uFFFD') : wf;
}

/**
 * The rows to insert for pods' logs, in order, given the lines each pod already has stored and the
 * bytes left under the pipeline's cap. Each pod's `lines` start at index `offset` of its log (lines
 * stored before are skipped; a gap — `offset` beyond what is stored — stores nothing). The first line
 * that does not fit ends the plan with one marker row (timestamped like the last line kept).
 */
export function planLogRows(req: {
  pipelineId: string;
  attempt: number;
  pods: readonly { podName: string; offset: number; lines: readonly LogLineIn[] }[];
  /** Lines already stored per pod name (absent: none). */
  stored: ReadonlyMap<string, number>;
  room: number;
  capBytes: number;
}): LogPlan {
  const rows: LogRow[] = [];
  let room = req.room;
  let bytes = 0;
  for (const pod of req.pods) {
    const n = req.stored.get(pod.podName) ?? 0;
    const lines = n < pod.offset ? [] : pod.lines.slice(n - pod.offset);
    const row = (ts: Date | null, line: string): LogRow => ({
      pipeline_id: req.pipelineId,
      attempt: req.attempt,
      pod_name: pod.podName,
      ts,
      line,
    });
    for (const [i, { ts, line: raw }] of lines.entries()) {
      const line = storableText(raw);
      const size = Buffer.byteLength(line, 'utf8');
      if (size > room) {
        const last = (i > 0 ? lines[i - 1]?.ts : undefined) ?? ts ?? null;
        rows.push(row(last, truncationMarker(req.capBytes)));
        return { rows, bytes, truncated: true };
      }
      room -= size;
      bytes += size;
      rows.push(row(ts, line));
    }
  }
  return { rows, bytes, truncated: false };
}
