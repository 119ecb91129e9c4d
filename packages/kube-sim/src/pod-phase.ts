// A pod's phase and conditions from its container statuses, as the kubelet derives them (its
// getPhase and status generators): init containers run first, one at a time; the pod stays
// Pending until each has exited 0, then its regular containers decide the phase.
import type { Condition, ContainerStatus, PodSpec, PodStatus } from './types.ts';
import { now } from './types.ts';

export function cond(type: string, status: boolean, reason?: string, message?: string): Condition {
  const c: Condition = {
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now(),
  };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** Set a condition, keeping lastTransitionTime when the status does not change. */
export function setCondition(list: Condition[], c: Condition): Condition[] {
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, c];
  const old = list[i];
  const merged = old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  return list.map((x, j) => (j === i ? merged : x));
}

const completed = (cs: ContainerStatus | undefined) => cs?.state.terminated?.exitCode === 0;

/** Init containers that have not yet exited 0, in spec order (the Initialized condition's message). */
export function incompleteInitContainers(spec: PodSpec, st: PodStatus): string[] {
  if (!spec.initContainers?.length) return [];
  const byName = new Map((st.initContainerStatuses ?? []).map((cs) => [cs.name, cs]));
  return (spec.initContainers ?? []).map((c) => c.name).filter((n) => !completed(byName.get(n)));
}

export function unreadyMessage(names: string[]): string {
  return `containers with unready status: [${names.join(' ')}]`;
}

export function incompleteMessage(names: string[]): string {
  return `containers with incomplete status: [${names.join(' ')}]`;
}

/**
 * Phase and conditions of a pod on this node. `stopped`: no container of the pod will run again
 * (each has finished for good, or the pod is being deleted), so the phase is terminal.
 */
export function derivePhase(spec: PodSpec, st: PodStatus, stopped: boolean) {
  const cs = st.containerStatuses ?? [];
  const incomplete = incompleteInitContainers(spec, st);
  let conds = st.conditions ?? [];
  let terminal = false;
  if (incomplete.length > 0) {
    // Initialising: Pending until every init container has exited 0; Failed when one never will.
    st.phase = stopped ? 'Failed' : 'Pending';
    terminal = stopped;
    conds = setCondition(
      conds,
      cond('Initialized', false, 'ContainersNotInitialized', incompleteMessage(incomplete)),
    );
  } else if (stopped) {
    // A container that never ran (the pod was deleted first) counts as failed.
    st.phase = cs.length > 0 && cs.every(completed) ? 'Succeeded' : 'Failed';
    terminal = true;
  } else if (cs.some((c) => c.state.running || c.state.terminated || c.lastState?.terminated)) {
    st.phase = 'Running';
  }
  if (incomplete.length === 0) {
    conds = setCondition(
      conds,
      st.phase === 'Succeeded' ? cond('Initialized', true, 'PodCompleted') : cond('Initialized', true),
    );
  }
  if (terminal) {
    conds = setCondition(conds, cond('PodReadyToStartContainers', false));
    conds = setCondition(conds, cond('Ready', false, 'PodCompleted'));
    conds = setCondition(conds, cond('ContainersReady', false, 'PodCompleted'));
  } else {
    const unready = cs.filter((c) => !c.ready).map((c) => c.name);
    const allReady = cs.length > 0 && unready.length === 0;
    const msg = unreadyMessage(unready);
    conds = setCondition(
      conds,
      allReady ? cond('Ready', true) : cond('Ready', false, 'ContainersNotReady', msg),
    );
    conds = setCondition(
      conds,
      allReady ? cond('ContainersReady', true) : cond('ContainersReady', false, 'ContainersNotReady', msg),
    );
  }
  st.conditions = conds;
}
