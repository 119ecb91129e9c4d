import type { RequestContext } from '@kubernetes/client-node';
import { KubeConfig } from './client-node.ts';

export interface KubeConfigOptions {
  kubeconfigPath?: string;
  /** Kubeconfig YAML text (e.g. kube-sim's); wins over kubeconfigPath. */
  kubeconfigYaml?: string;
  context?: string;
  inCluster?: boolean;
}

type Dispatcher = ReturnType<RequestContext['getDispatcher']>;

/**
 * client-node 2.0.1 builds a new undici Agent — a new TCP (and TLS) connection — for every request
 * when the cluster has TLS settings (a CA, client certificates, insecure-skip-tls-verify). The
 * settings cannot change within a process, so every request shares the first Agent's pool instead.
 */
class PooledKubeConfig extends KubeConfig {
  #shared: Dispatcher;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const dispatcher = context.getDispatcher();
    if (!dispatcher) return;
    if (this.#shared) context.setDispatcher(this.#shared);
    else this.#shared = dispatcher;
  }
}

/** A file (or text) if given, in-cluster if asked, else client-node's default lookup ($KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(opts: KubeConfigOptions): KubeConfig {
  const kc = new PooledKubeConfig();
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
