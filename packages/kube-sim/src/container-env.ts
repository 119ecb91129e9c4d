// A container's environment as the kubelet builds it: the Downward API (fieldRef) and
// Kubernetes $(VAR) expansion, used for env values and for command and args.
import type { Container, EnvVar, Pod } from './types.ts';

function fieldRef(pod: Pod, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) {
    const bag = m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return bag?.[m[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return String(pod.spec.serviceAccountName ?? '');
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    default:
      return '';
  }
}

/** Kubernetes $(VAR) expansion: defined vars are replaced, $$ escapes, unknown refs stay. */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => {
    if (all === '$$') return '$';
    return name !== undefined && name in env ? (env[name] ?? '') : all;
  });
}

export function containerEnv(pod: Pod, c: Container, base: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { ...base };
  const own: Record<string, string> = {};
  for (const e of c.env ?? ([] as EnvVar[])) {
    let v = '';
    if (e.value !== undefined) v = expand(e.value, own);
    else if (e.valueFrom?.fieldRef) v = fieldRef(pod, e.valueFrom.fieldRef.fieldPath);
    own[e.name] = v;
    env[e.name] = v;
  }
  return env;
}
