import { KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigOptions {
  kubeconfigPath?: string;
  /** Kubeconfig YAML text (e.g. kube-sim's); wins over kubeconfigPath. */
  kubeconfigYaml?: string;
  context?: string;
  inCluster?: boolean;
}

/** A file (or text) if given, in-cluster if asked, else client-node's default lookup ($KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(opts: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfigYaml !== undefined) kc.loadFromString(opts.kubeconfigYaml);
  else if (opts.kubeconfigPath !== undefined) kc.loadFromFile(opts.kubeconfigPath);
  else if (opts.inCluster) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (opts.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new Error(`kubeconfig has no context '${opts.context}'`);
    }
    kc.setCurrentContext(opts.context);
  }
  return kc;
}
