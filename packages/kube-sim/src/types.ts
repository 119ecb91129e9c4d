// Minimal wire types: the sim stores plain JSON exactly as the API server serves it.
import { randomFillSync } from 'node:crypto';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [k: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string; apiVersion?: string } };
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  /** 'File' (the API server's default) or 'FallbackToLogsOnError'. */
  terminationMessagePolicy?: string;
  [k: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: string;
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  hostname?: string;
  subdomain?: string;
  [k: string]: unknown;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
    containerID?: string;
    signal?: number;
  };
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface PodStatus {
  phase?: string;
  conditions?: Condition[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: string;
  reason?: string;
  message?: string;
}

export interface Pod extends KubeObject {
  spec: PodSpec;
  status?: PodStatus;
}

export interface PodFailurePolicyRule {
  action: string;
  onExitCodes?: { containerName?: string; operator: string; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  completionMode?: string;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  suspend?: boolean;
  podFailurePolicy?: { rules: PodFailurePolicyRule[] };
  selector?: { matchLabels?: Record<string, string> };
  manualSelector?: boolean;
  template: { metadata?: ObjectMeta; spec: PodSpec };
  [k: string]: unknown;
}

export interface JobStatus {
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  conditions?: Condition[];
  uncountedTerminatedPods?: Record<string, unknown>;
}

export interface Job extends KubeObject {
  spec: JobSpec;
  status?: JobStatus;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function now(): string {
  return nowCached();
}

/** Deep copy of JSON data (objects, arrays, primitives): much cheaper than structuredClone. */
export function clone<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(clone) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = clone(x);
  }
  return out as T;
}

/** Deep equality of JSON data, as JSON.stringify(a) === JSON.stringify(b) (undefined keys ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] ?? '';
    // key order matters for the serialized form
    if (k !== kb[i] || !jsonEqual(ra[k], rb[k])) return false;
  }
  return true;
}

/** Absent in Go's decoded form: a nil pointer, map or slice (an empty map or slice decodes alike). */
function isNil(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return (
    typeof v === 'object' && Object.keys(v).every((k) => (v as Record<string, unknown>)[k] === undefined)
  );
}

/**
 * Equality as the API server's validation sees it (apimachinery's Semantic.DeepEqual over decoded
 * objects): key order does not matter, and null, absent, `{}` and `[]` are all the nil value. Used
 * where the real server compares old and new (immutable fields, generation), so a client that reads
 * an object and sends it back — in another key order, with an empty map where there was none — is
 * not refused.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNil(a) && isNil(b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)]))
    if (!semanticEqual(ra[k], rb[k])) return false;
  return true;
}

let lastSecond = 0;
let lastStamp = '';
/** RFC3339 with second precision, as metav1.Time serializes. Cached per second. */
export function nowCached(): string {
  const ms = Date.now();
  const s = Math.floor(ms / 1000);
  if (s !== lastSecond) {
    lastSecond = s;
    lastStamp = new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastStamp;
}

/** Random lowercase hex (not for secrets: names and container ids). */
export function randomHex(len: number): string {
  let s = '';
  while (s.length < len)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, len);
}

// UUIDs as flat strings. Node's crypto.randomUUID() builds its result by concatenating 20 pieces,
// which V8 keeps as a tree of 19 cons strings (~600 bytes on a 64-bit heap, for 36 characters);
// every stored object keeps its uid (and its pods their owner's), so they added up to ~10 MB at
// 10,000 Jobs. Here the 36 bytes are formatted in a Buffer and read out as one string.
const UUID_BATCH = 256;
const uuidEntropy = Buffer.allocUnsafeSlow(16 * UUID_BATCH);
let uuidNext = UUID_BATCH;
const uuidScratch = Buffer.allocUnsafeSlow(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const UUID_DASH_AFTER = [3, 5, 7, 9];

/** A random (version 4) UUID, as crypto.randomUUID() makes, but a flat string. */
export function newUid(): string {
  if (uuidNext === UUID_BATCH) {
    randomFillSync(uuidEntropy);
    uuidNext = 0;
  }
  const off = 16 * uuidNext++;
  let p = 0;
  for (let i = 0; i < 16; i++) {
    let b = uuidEntropy[off + i] ?? 0;
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    uuidScratch[p++] = HEX[b >> 4] ?? 48;
    uuidScratch[p++] = HEX[b & 15] ?? 48;
    if (UUID_DASH_AFTER.includes(i)) uuidScratch[p++] = 45;
  }
  return uuidScratch.toString('latin1', 0, 36);
}
