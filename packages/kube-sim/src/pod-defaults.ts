// What the API server's admission adds to every new pod (not to pod templates): the
// ServiceAccount plugin's token volume (kube-api-access-xxxxx, mounted read-only into each
// container unless automountServiceAccountToken is false) and the DefaultTolerationSeconds
// plugin's not-ready/unreachable tolerations of 300 s.
import type { Container, PodSpec } from './types.ts';
import { isRecord } from './types.ts';

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

function tolerates(list: unknown[], key: string): boolean {
  return list.some(
    (t) =>
      isRecord(t) &&
      (t.effect === 'NoExecute' || t.effect === undefined || t.effect === '') &&
      (t.key === key || ((t.key === undefined || t.key === '') && t.operator === 'Exists')),
  );
}

export function addDefaultTolerations(spec: PodSpec) {
  const s = spec as PodSpec & { tolerations?: unknown[] };
  const list = Array.isArray(s.tolerations) ? [...s.tolerations] : [];
  for (const key of TAINTS) {
    if (!tolerates(list, key)) {
      list.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
  s.tolerations = list;
}

function tokenVolume(name: string) {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 420,
    },
  };
}

function mount(c: Container, name: string) {
  const mounts = Array.isArray(c.volumeMounts) ? (c.volumeMounts as unknown[]) : [];
  if (mounts.some((m) => isRecord(m) && m.mountPath === SERVICE_ACCOUNT_MOUNT)) return;
  c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT }];
}

/** The service-account token volume and its mounts; `suffix` makes the volume's name. */
export function addServiceAccountToken(spec: PodSpec, suffix: string) {
  const s = spec as PodSpec & { automountServiceAccountToken?: boolean; volumes?: unknown[] };
  if (s.automountServiceAccountToken === false) return;
  const name = `kube-api-access-${suffix}`;
  s.volumes = [...(Array.isArray(s.volumes) ? s.volumes : []), tokenVolume(name)];
  for (const c of Array.isArray(s.containers) ? s.containers : []) if (isRecord(c)) mount(c, name);
  for (const c of Array.isArray(s.initContainers) ? s.initContainers : []) if (isRecord(c)) mount(c, name);
}
