/** Kubernetes resource quantities (cpu and memory) as plain numbers of base units. */

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$/;

/** Returns the quantity in base units (cores, bytes), or null when it is not a valid quantity. */
export function parseQuantity(q: string): number | null {
  const m = QUANTITY.exec(q.trim());
  if (!m) return null;
  const [, num = '', suffix = ''] = m;
  const n = Number(num);
  if (suffix.startsWith('e') || suffix.startsWith('E')) return n * 10 ** Number(suffix.slice(1));
  const mult = SUFFIX[suffix];
  return mult === undefined ? null : n * mult;
}

/** What a pipeline asks of the cluster while admitted: its pods' requests, `parallelism` counted. */
export interface ResourceRequests {
  /** CPU in millicores (rounded up). */
  cpuMillis: number;
  /** Memory in bytes (rounded up). */
  memoryBytes: number;
}

/** CPU cores as a quantity (`500m`, `2`) to millicores, rounded up; null when not a quantity. */
export function cpuMillis(q: string): number | null {
  const n = parseQuantity(q);
  return n === null ? null : Math.ceil(Math.round(n * 1e6) / 1e3);
}

/** Memory as a quantity (`256Mi`, `1G`) to bytes, rounded up; null when not a quantity. */
export function memoryBytes(q: string): number | null {
  const n = parseQuantity(q);
  return n === null ? null : Math.ceil(n);
}

/**
 * The requests of a rendered Job summed over its pods (`parallelism` of them run at once), as the
 * resource quotas count them; null when a request is not a quantity.
 */
export function jobRequests(job: {
  resources: { cpu_request: string; memory_request: string };
  parallelism?: number | undefined;
}): ResourceRequests | null {
  const cpu = cpuMillis(job.resources.cpu_request);
  const memory = memoryBytes(job.resources.memory_request);
  if (cpu === null || memory === null) return null;
  const pods = job.parallelism ?? 1;
  return { cpuMillis: cpu * pods, memoryBytes: memory * pods };
}

const trim = (n: number) => String(Number(n.toFixed(2)));

/** Millicores for people: `250m`, `1.5`. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 || millis >= 10_000 ? trim(millis / 1000) : `${millis}m`;
}

/** Bytes for people, in the largest binary unit that keeps it ≥ 1: `512Mi`, `1.5Gi`. */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${trim(bytes / size)}${unit}`;
  }
  return String(bytes);
}
