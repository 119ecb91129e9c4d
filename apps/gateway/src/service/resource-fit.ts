import { formatCpu, formatMemory, type ResourceRequests } from '@po/contracts';

export interface Limits {
  maxCpuMillis: number | null;
  maxMemoryBytes: number | null;
}

/**
 * Why a pipeline could never be admitted — its requests (parallelism counted) exceed its tenant's or
 * the global CPU or memory quota even with nothing else running — or null when it can fit.
 */
export function neverFits(
  requests: ResourceRequests,
  tenantId: string,
  tenant: Limits,
  global: Limits,
): string | null {
  const checks: [string, Limits][] = [
    [`tenant ${tenantId}'s`, tenant],
    ['the global', global],
  ];
  for (const [whose, l] of checks) {
    if (l.maxCpuMillis !== null && requests.cpuMillis > l.maxCpuMillis)
      return `resources: the pipeline requests ${formatCpu(requests.cpuMillis)} CPU (all its pods), more than ${whose} CPU quota of ${formatCpu(l.maxCpuMillis)}: it could never be admitted`;
    if (l.maxMemoryBytes !== null && requests.memoryBytes > l.maxMemoryBytes)
      return `resources: the pipeline requests ${formatMemory(requests.memoryBytes)} memory (all its pods), more than ${whose} memory quota of ${formatMemory(l.maxMemoryBytes)}: it could never be admitted`;
  }
  return null;
}
