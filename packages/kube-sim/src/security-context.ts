// Which user a container runs as, decided as the kubelet decides it from the pod's and the
// container's securityContext (the container's fields win), including its runAsNonRoot check.
import type { Container, Pod } from './types.ts';

/** The user kube-sim gives a container that must not run as root and names no uid. */
export const DEFAULT_NON_ROOT_UID = 65532;

interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
}

export type RunAs = { uid: number; gid: number } | { error: string };

function contextOf(v: unknown): SecurityContext {
  return typeof v === 'object' && v !== null ? (v as SecurityContext) : {};
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/**
 * The uid and gid of a container, or the kubelet's CreateContainerConfigError message. Images
 * here have no USER of their own: one that must run as non-root and names no uid runs as
 * `nonRootUid` (as if its image said `USER 65532`, like distroless "nonroot"); otherwise, as
 * with most images, the image's user is root.
 */
export function resolveRunAs(pod: Pod, c: Container, nonRootUid = DEFAULT_NON_ROOT_UID): RunAs {
  const podSc = contextOf(pod.spec.securityContext);
  const sc = contextOf(c.securityContext);
  const runAsUser = int(sc.runAsUser) ?? int(podSc.runAsUser);
  const runAsGroup = int(sc.runAsGroup) ?? int(podSc.runAsGroup);
  const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot ?? false;
  if (nonRoot && runAsUser === 0) {
    const ref = `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
    return { error: `container's runAsUser breaks non-root policy (pod: "${ref}", container: ${c.name})` };
  }
  const uid = runAsUser ?? (nonRoot ? nonRootUid : 0);
  // Without runAsGroup the runtime takes the user's primary group from the image; the image's
  // non-root user has its own group, root has group 0.
  const gid = runAsGroup ?? (runAsUser === undefined && nonRoot ? nonRootUid : 0);
  return { uid, gid };
}
