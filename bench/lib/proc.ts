/** What /proc says about a process: CPU seconds so far, resident memory, processes by name. */
import { readdirSync, readFileSync } from 'node:fs';

/** user+system CPU seconds of a process (0 when it is gone). */
export function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** A `Vm…` field of a process's /proc status in MiB (NaN when it is gone). */
function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in MiB (NaN when it is gone). */
export const rssMiB = (pid: number): number => statusMiB(pid, 'VmRSS');

/** The process's peak resident set size so far (VmHWM) in MiB (NaN when it is gone). */
export const peakRssMiB = (pid: number): number => statusMiB(pid, 'VmHWM');

/** Every process whose command name is `comm`. */
export function pidsOf(comm: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    })
    .map(Number);
}
