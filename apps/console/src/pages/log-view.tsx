import { useEffect, useRef, useState } from 'preact/hooks';
import { followLogs } from '../logs.ts';
import type { LogLine } from '../types.ts';

/**
 * Live logs: lines arrive over SSE while the pod runs. "Pause" holds new lines back (and stops
 * scrolling) so the reader can look; "Follow" shows them and keeps to the end again.
 */
export function LogView({
  id,
  live,
  onLines,
}: {
  id: string;
  /** The pipeline is queued or running: (re)open the stream if it has ended. */
  live: boolean;
  onLines?: (lines: LogLine[]) => void;
}) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [held, setHeld] = useState<LogLine[]>([]);
  const [paused, setPaused] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [streaming, setStreaming] = useState(true);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const lastId = useRef<string | undefined>(undefined);
  const box = useRef<HTMLDivElement>(null);
  const all = useRef<LogLine[]>([]);

  // One stream at a time: opened on mount, and again (from the last line seen) when a restarted
  // pipeline becomes live after its stream ended.
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    setStreaming(true);
    void followLogs(
      id,
      lastId.current,
      {
        line: (l, eid) => {
          lastId.current = eid ?? lastId.current;
          all.current = [...all.current, l];
          onLines?.(all.current);
          if (pausedRef.current) setHeld((h) => [...h, l]);
          else setLines((ls) => [...ls, l]);
        },
        problem: setProblem,
      },
      ctrl.signal,
    ).then((last) => {
      lastId.current = last;
      if (!ctrl.signal.aborted) setStreaming(false);
    });
    return () => ctrl.abort();
  }, [id, generation]);
  useEffect(() => {
    if (live && !streaming) setGeneration((g) => g + 1);
  }, [live, streaming]);

  useEffect(() => {
    if (!paused && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, paused]);

  const download = () => {
    const text = all.current.map((l) => `${l.ts ?? ''} [${l.attempt}/${l.pod}] ${l.line}`).join('\n');
    const url = URL.createObjectURL(new Blob([`${text}\n`], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `pipeline-${id}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  };

  return (
    <div class="logs">
      <div class="toolbar">
        {paused ? (
          <button
            type="button"
            onClick={() => {
              setLines((ls) => [...ls, ...held]);
              setHeld([]);
              setPaused(false);
            }}
          >
            Follow{held.length ? ` (${held.length} new)` : ''}
          </button>
        ) : (
          <button type="button" onClick={() => setPaused(true)}>
            Pause
          </button>
        )}
        <button type="button" class="secondary" onClick={download} disabled={all.current.length === 0}>
          Download
        </button>
        <span class="muted" aria-live="polite">
          {streaming ? (paused ? 'paused' : 'following live') : 'stream ended'}
        </span>
      </div>
      {problem ? <p class="muted">{problem}</p> : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to scroll by keyboard */}
      <div ref={box} class="logbox mono" role="log" tabIndex={0} aria-label="Log lines">
        {lines.length === 0 ? <span class="muted">No log lines yet.</span> : null}
        {lines.map((l, i) => (
          <div key={i} class={l.truncated ? 'logline truncated' : 'logline'}>
            <span class="logmeta">{l.attempt}</span>
            {l.line}
          </div>
        ))}
      </div>
    </div>
  );
}
