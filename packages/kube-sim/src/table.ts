// meta.k8s.io/v1 Table responses for `kubectl get` (server-side printing, like the real columns).
import type { ResourceInfo } from './resources.ts';
import type { ContainerStatus, Job, KubeObject, Pod } from './types.ts';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.includes('as=Table');
}

/** kubectl's HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function age(o: KubeObject, nowMs: number): string {
  const t = Date.parse(o.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? '<unknown>' : humanDuration(nowMs - t);
}

type Col = { name: string; type: string; format?: string; priority?: number };

function hasCond(j: Job, type: string): boolean {
  return !!j.status?.conditions?.some((c) => c.type === type && c.status === 'True');
}

export function jobStatusColumn(j: Job): string {
  if (hasCond(j, 'Complete')) return 'Complete';
  if (hasCond(j, 'Failed')) return 'Failed';
  if (j.metadata.deletionTimestamp) return 'Terminating';
  if (hasCond(j, 'FailureTarget')) return 'FailureTarget';
  if (hasCond(j, 'Suspended')) return 'Suspended';
  if (hasCond(j, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

/**
 * The first init container that has not completed, as kubectl shows it: Init:<done>/<all> while
 * it waits or runs, Init:<reason> once it failed or is backing off.
 */
function initStatus(p: Pod): string | undefined {
  const all = p.spec.initContainers?.length ?? 0;
  const list = p.status?.initContainerStatuses ?? [];
  for (let i = 0; i < list.length; i++) {
    const { state } = list[i] as ContainerStatus;
    if (state.terminated?.exitCode === 0) continue;
    if (state.terminated)
      return state.terminated.reason
        ? `Init:${state.terminated.reason}`
        : `Init:ExitCode:${state.terminated.exitCode}`;
    if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing')
      return `Init:${state.waiting.reason}`;
    return `Init:${i}/${all}`;
  }
  return undefined;
}

function initialized(p: Pod): boolean {
  return !!p.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True');
}

/** kubectl's STATUS column (its printPod). */
export function podStatusColumn(p: Pod): string {
  let reason = p.status?.reason ?? p.status?.phase ?? 'Pending';
  const init = initStatus(p);
  if (init !== undefined && !initialized(p)) reason = init;
  else {
    // The first container's state wins, as kubectl reads them from the last.
    for (const cs of [...(p.status?.containerStatuses ?? [])].reverse()) {
      if (cs.state.waiting?.reason) reason = cs.state.waiting.reason;
      else if (cs.state.terminated?.reason) reason = cs.state.terminated.reason;
      else if (cs.state.terminated) reason = `ExitCode:${cs.state.terminated.exitCode}`;
    }
  }
  if (p.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

/** kubectl's RESTARTS column: the init containers' while the pod initialises, else the containers'. */
function podRestarts(p: Pod): number {
  const initializing = initStatus(p) !== undefined && !initialized(p);
  const list = (initializing ? p.status?.initContainerStatuses : p.status?.containerStatuses) ?? [];
  return list.reduce((n, c) => n + c.restartCount, 0);
}

function row(info: ResourceInfo, o: KubeObject, nowMs: number): unknown[] {
  switch (info.resource) {
    case 'jobs': {
      const j = o as Job;
      const s = j.status ?? {};
      const completions =
        j.spec.completions === null || j.spec.completions === undefined
          ? `${s.succeeded ?? 0}/1 of ${j.spec.parallelism ?? 1}`
          : `${s.succeeded ?? 0}/${j.spec.completions}`;
      let duration = '';
      if (s.startTime) {
        const end = s.completionTime ? Date.parse(s.completionTime) : nowMs;
        duration = humanDuration(end - Date.parse(s.startTime));
      }
      const cs = j.spec.template.spec.containers;
      const selector = Object.entries(j.spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        o.metadata.name,
        jobStatusColumn(j),
        completions,
        duration,
        age(o, nowMs),
        cs.map((c) => c.name).join(','),
        cs.map((c) => c.image).join(','),
        selector,
      ];
    }
    case 'pods': {
      const p = o as Pod;
      const cs = p.status?.containerStatuses ?? [];
      const ready = `${cs.filter((c) => c.ready).length}/${p.spec.containers.length}`;
      const restarts = podRestarts(p);
      return [
        o.metadata.name,
        ready,
        podStatusColumn(p),
        restarts,
        age(o, nowMs),
        p.status?.podIP ?? '<none>',
        p.spec.nodeName ?? '<none>',
        '<none>',
        '<none>',
      ];
    }
    case 'events': {
      const inv = (o.involvedObject ?? {}) as Record<string, unknown>;
      const last = Date.parse(String(o.lastTimestamp ?? o.metadata.creationTimestamp ?? ''));
      return [
        Number.isNaN(last) ? '<unknown>' : humanDuration(nowMs - last),
        o.type,
        o.reason,
        `${String(inv.kind ?? '').toLowerCase()}/${String(inv.name ?? '')}`,
        o.message,
      ];
    }
    case 'leases':
      return [
        o.metadata.name,
        (o.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '',
        age(o, nowMs),
      ];
    case 'namespaces':
      return [
        o.metadata.name,
        (o.status as { phase?: string } | undefined)?.phase ?? 'Active',
        age(o, nowMs),
      ];
    default:
      return [o.metadata.name, age(o, nowMs)];
  }
}

function columns(info: ResourceInfo): Col[] {
  const name: Col = { name: 'Name', type: 'string', format: 'name' };
  const ageCol: Col = { name: 'Age', type: 'string' };
  switch (info.resource) {
    case 'jobs':
      return [
        name,
        { name: 'Status', type: 'string' },
        { name: 'Completions', type: 'string' },
        { name: 'Duration', type: 'string' },
        ageCol,
        { name: 'Containers', type: 'string', priority: 1 },
        { name: 'Images', type: 'string', priority: 1 },
        { name: 'Selector', type: 'string', priority: 1 },
      ];
    case 'pods':
      return [
        name,
        { name: 'Ready', type: 'string' },
        { name: 'Status', type: 'string' },
        { name: 'Restarts', type: 'string' },
        ageCol,
        { name: 'IP', type: 'string', priority: 1 },
        { name: 'Node', type: 'string', priority: 1 },
        { name: 'Nominated Node', type: 'string', priority: 1 },
        { name: 'Readiness Gates', type: 'string', priority: 1 },
      ];
    case 'events':
      return [
        { name: 'Last Seen', type: 'string' },
        { name: 'Type', type: 'string' },
        { name: 'Reason', type: 'string' },
        { name: 'Object', type: 'string' },
        { name: 'Message', type: 'string' },
      ];
    case 'namespaces':
      return [name, { name: 'Status', type: 'string' }, ageCol];
    case 'leases':
      return [name, { name: 'Holder', type: 'string' }, ageCol];
    default:
      return [name, ageCol];
  }
}

export function toTable(info: ResourceInfo, items: KubeObject[], resourceVersion: string, cont?: string) {
  const nowMs = Date.now();
  const metadata: Record<string, unknown> = { resourceVersion };
  if (cont) metadata.continue = cont;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: columns(info).map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: '',
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => ({
      cells: row(info, o, nowMs),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
