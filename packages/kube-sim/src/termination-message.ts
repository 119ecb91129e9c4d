// A terminated container's `message`, as the kubelet fills it (pkg/kubelet/kuberuntime,
// convertToKubeContainerStatus + readLastStringFromContainerLogs; limits from
// pkg/kubelet/container/runtime.go). With `terminationMessagePolicy: FallbackToLogsOnError`, a container
// that exited non-zero (and was not `ContainerCannotRun`) and left its termination-message file empty
// gets the tail of its current log file instead: the last 80 records, as `kubectl logs` prints them,
// through a 2048-byte ring buffer, so the END is kept. A message the runtime already gave comes first,
// joined with ": ". kube-sim's containers cannot write /dev/termination-log, so the file is always empty.
import type { LogLine } from './logs.ts';

/** kubecontainer.MaxContainerTerminationMessageLogLines */
export const TERMINATION_MESSAGE_LOG_LINES = 80;
/** kubecontainer.MaxContainerTerminationMessageLogLength */
export const TERMINATION_MESSAGE_LOG_BYTES = 2048;

export interface TerminationInput {
  /** The container's terminationMessagePolicy ('File' when unset, as the API server defaults it). */
  policy: string | undefined;
  exitCode: number;
  reason: string;
  /** What the runtime said (e.g. a start error), if anything. */
  runtimeMessage?: string | undefined;
  /** The container instance's current log file. */
  lines: readonly LogLine[];
}

/** The last `maxBytes` bytes of `text`, starting on a character boundary (the ring buffer keeps bytes). */
function tailBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

/** The log tail the kubelet reads for the fallback: whole records ("\n" after full ones), last 2 KiB. */
export function logTail(lines: readonly LogLine[]): string {
  const text = lines
    .slice(-TERMINATION_MESSAGE_LOG_LINES)
    .map((l) => (l.nl ? `${l.text}\n` : l.text))
    .join('');
  return tailBytes(text, TERMINATION_MESSAGE_LOG_BYTES);
}

/** The terminated state's message, or undefined for none. Pure. */
export function terminationMessage(input: TerminationInput): string | undefined {
  const fallback =
    input.policy === 'FallbackToLogsOnError' && input.exitCode !== 0 && input.reason !== 'ContainerCannotRun';
  const fromLogs = fallback ? logTail(input.lines) : '';
  const parts = [input.runtimeMessage ?? '', fromLogs].filter((p) => p !== '');
  return parts.length === 0 ? undefined : parts.join(': ');
}
