// Kubeconfig YAML for the sim: plain http, so insecure-skip-tls-verify must be set (client-node
// refuses http otherwise), a token user, context 'kube-sim' with namespace 'pipelines'.
export function kubeconfigYaml(url: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: kube-sim
  cluster:
    server: ${url}
    insecure-skip-tls-verify: true
users:
- name: kube-sim
  user:
    token: kube-sim-token
contexts:
- name: kube-sim
  context:
    cluster: kube-sim
    user: kube-sim
    namespace: pipelines
current-context: kube-sim
preferences: {}
`;
}
