/**
 * What each service asks the Kubernetes API for, in RBAC's words: the single table its Role in
 * infra/k8s is checked against (e2e/install.test.ts: the Role grants exactly this), and what the
 * service's own requests are checked against at run time (e2e/metrics.test.ts: every request a
 * service made, by verb and resource, is in its row). A service not listed makes no call and runs
 * without a service-account token.
 */
export const KUBE_ACCESS = {
  gateway: [],
  scheduler: [],
  // Creates an admitted attempt's Job, reads it back (a retried create), deletes it after its logs
  // are stored, and lists the managed Jobs to check its access at start.
  'job-runner': [{ group: 'batch', resource: 'jobs', verbs: ['create', 'delete', 'get', 'list'] }],
  // Informers over managed Jobs and pods; reads a Job that has not appeared; elects its leader on a Lease.
  watcher: [
    { group: 'batch', resource: 'jobs', verbs: ['get', 'list', 'watch'] },
    { group: '', resource: 'pods', verbs: ['list', 'watch'] },
    { group: 'coordination.k8s.io', resource: 'leases', verbs: ['create', 'get', 'update'] },
  ],
  // An informer over managed pods, a Job's pods by label, and their logs (read and followed).
  'log-collector': [
    { group: '', resource: 'pods', verbs: ['list', 'watch'] },
    { group: '', resource: 'pods/log', verbs: ['get'] },
  ],
} as const satisfies Record<string, readonly { group: string; resource: string; verbs: readonly string[] }[]>;

export type KubeAccessService = keyof typeof KUBE_ACCESS;
