/**
 * The admission decision as a pure function of what one pass read: which queued pipelines to admit
 * within the tenants' and the global quotas (concurrency, CPU, memory), and why each tenant's next
 * pipeline waits afterwards. The SQL (admission.ts) only reads each tenant's usage and the head of
 * its queue in admission order; everything decided here is table-tested (queue-plan.test.ts).
 */
import { formatCpu, formatMemory, type QueueReason } from '@po/contracts';

export interface QueuedRow {
  id: string;
  tenantId: string;
  /** Priority rank raised by aging (see effectiveRank in admission.ts). */
  effectiveRank: number;
  /** queued_at in microseconds since the epoch (exact). */
  queuedUs: number;
  cpuMillis: number;
  memoryBytes: number;
}

/** Usage and limits; a null maximum is no limit. */
export interface Room {
  maxRunning: number | null;
  running: number;
  maxCpuMillis: number | null;
  cpuMillis: number;
  maxMemoryBytes: number | null;
  memoryBytes: number;
}

export interface TenantRoom extends Room {
  tenantId: string;
  maxRunning: number;
  /** The head of its queue in admission order: at most its free slots + 1 rows (none when it has no free slot). */
  head: QueuedRow[];
}

export interface QueueState {
  tenantId: string;
  reason: QueueReason;
  message: string;
  details: Record<string, number | string | null>;
}

/** Admission order: effective rank, then oldest, then id. */
export function admissionOrder(a: QueuedRow, b: QueuedRow): number {
  return (
    b.effectiveRank - a.effectiveRank || a.queuedUs - b.queuedUs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

const fits = (limit: number | null, used: number, more: number) => limit === null || used + more <= limit;

/**
 * The pipelines to admit, in admission order. From each tenant's queue, in order, as many as fit its
 * free slots and its CPU and memory room; across tenants, in admission order, as many as fit `limit`
 * and the global room. Both stop at the first pipeline that does not fit (strict order: a large
 * pipeline is not overtaken by smaller ones behind it, so it cannot starve).
 */
export function pickAdmissions(tenants: TenantRoom[], global: Room, limit: number): QueuedRow[] {
  const eligible: QueuedRow[] = [];
  for (const t of tenants) {
    let cpu = t.cpuMillis;
    let memory = t.memoryBytes;
    let running = t.running;
    for (const row of t.head) {
      if (running >= t.maxRunning) break;
      if (!fits(t.maxCpuMillis, cpu, row.cpuMillis) || !fits(t.maxMemoryBytes, memory, row.memoryBytes))
        break;
      running += 1;
      cpu += row.cpuMillis;
      memory += row.memoryBytes;
      eligible.push(row);
    }
  }
  eligible.sort(admissionOrder);
  const picked: QueuedRow[] = [];
  let { running, cpuMillis: cpu, memoryBytes: memory } = global;
  for (const row of eligible) {
    if (picked.length >= limit) break;
    if (global.maxRunning !== null && running >= global.maxRunning) break;
    if (
      !fits(global.maxCpuMillis, cpu, row.cpuMillis) ||
      !fits(global.maxMemoryBytes, memory, row.memoryBytes)
    )
      break;
    running += 1;
    cpu += row.cpuMillis;
    memory += row.memoryBytes;
    picked.push(row);
  }
  return picked;
}

function after(room: Room, rows: QueuedRow[]): Room {
  return {
    ...room,
    running: room.running + rows.length,
    cpuMillis: rows.reduce((s, r) => s + r.cpuMillis, room.cpuMillis),
    memoryBytes: rows.reduce((s, r) => s + r.memoryBytes, room.memoryBytes),
  };
}

/** Why the next pipeline (if read) does not fit a room's CPU or memory, or null. */
function resourceShortfall(room: Room, next: QueuedRow | undefined, where: string): string | null {
  if (!next) return null;
  if (!fits(room.maxCpuMillis, room.cpuMillis, next.cpuMillis))
    return `${where} next pipeline needs ${formatCpu(next.cpuMillis)} CPU; ${formatCpu(room.cpuMillis)}/${formatCpu(room.maxCpuMillis ?? 0)} CPU in use`;
  if (!fits(room.maxMemoryBytes, room.memoryBytes, next.memoryBytes))
    return `${where} next pipeline needs ${formatMemory(next.memoryBytes)} memory; ${formatMemory(room.memoryBytes)}/${formatMemory(room.maxMemoryBytes ?? 0)} in use`;
  return null;
}

/**
 * Why each tenant's next waiting pipeline waits once `admitted` (a subset of the picks: a row a
 * concurrent transaction held is skipped) are admitted. Tenants whose whole queue was admitted get
 * no state.
 */
export function queueStates(tenants: TenantRoom[], global: Room, admitted: QueuedRow[]): QueueState[] {
  const ids = new Set(admitted.map((r) => r.id));
  const g = after(global, admitted);
  const states: QueueState[] = [];
  for (const t0 of tenants) {
    const mine = t0.head.filter((r) => ids.has(r.id));
    const next = t0.head.find((r) => !ids.has(r.id));
    // Every head row admitted and the head was the whole queue: nothing waits.
    if (!next && t0.head.length > 0) continue;
    const t = after(t0, mine);
    const details = {
      running: t.running,
      max_running: t0.maxRunning,
      cpu_millis: t.cpuMillis,
      max_cpu_millis: t.maxCpuMillis,
      memory_bytes: t.memoryBytes,
      max_memory_bytes: t.maxMemoryBytes,
      next_cpu_millis: next?.cpuMillis ?? null,
      next_memory_bytes: next?.memoryBytes ?? null,
      global_running: g.running,
      global_max_running: g.maxRunning,
    };
    const state = (reason: QueueReason, message: string): QueueState => ({
      tenantId: t0.tenantId,
      reason,
      message,
      details,
    });
    const tenant = `tenant ${t0.tenantId}`;
    const tenantShort = resourceShortfall(t, next, `${tenant}'s`);
    const globalShort = resourceShortfall(g, next, 'the');
    if (t0.maxRunning === 0) states.push(state('TenantPaused', `${tenant} is paused (max_running 0)`));
    else if (t.running >= t0.maxRunning)
      states.push(
        state('TenantConcurrencyQuota', `${tenant} has ${t.running}/${t0.maxRunning} pipelines running`),
      );
    else if (tenantShort) states.push(state('TenantResourceQuota', tenantShort));
    else if (g.maxRunning !== null && g.running >= g.maxRunning)
      states.push(state('GlobalQuota', `${g.running}/${g.maxRunning} pipelines running in all`));
    else if (globalShort) states.push(state('GlobalQuota', `${globalShort} in all`));
    else states.push(state('Queued', 'next in line: nothing blocks it but the pipelines ahead of it'));
  }
  return states;
}
