import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { MANAGED_SELECTOR } from '@po/contracts';
import { isAlreadyExists, isNotFound } from './errors.ts';

export interface JobsApi {
  /** 'exists' when a Job of that name is already there (names are deterministic, so that means done). */
  create(job: V1Job): Promise<'created' | 'exists'>;
  /** Always propagationPolicy Background, so the pods go too; 'gone' when it was already deleted. */
  delete(namespace: string, name: string): Promise<'deleted' | 'gone'>;
  get(namespace: string, name: string): Promise<V1Job | undefined>;
  listManaged(namespace: string): Promise<V1Job[]>;
  listPods(namespace: string, jobName: string): Promise<V1Pod[]>;
}

const PAGE = 500;

/** Thin wrappers: idempotency signals become return values; every other error is thrown for classifyKubeError. */
export function createJobsApi(kc: KubeConfig): JobsApi {
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async create(job) {
      const namespace = job.metadata?.namespace;
      if (!namespace) throw new Error('job.metadata.namespace is required');
      try {
        await batch.createNamespacedJob({ namespace, body: job });
        return 'created';
      } catch (err) {
        if (isAlreadyExists(err)) return 'exists';
        throw err;
      }
    },
    async delete(namespace, name) {
      try {
        // Never with a body: a non-empty body makes the server ignore the query's propagationPolicy.
        await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });
        return 'deleted';
      } catch (err) {
        if (isNotFound(err)) return 'gone';
        throw err;
      }
    },
    async get(namespace, name) {
      try {
        return await batch.readNamespacedJob({ name, namespace });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async listManaged(namespace) {
      const items: V1Job[] = [];
      let cont: string | undefined;
      do {
        const page = await batch.listNamespacedJob({
          namespace,
          labelSelector: MANAGED_SELECTOR,
          limit: PAGE,
          ...(cont ? { _continue: cont } : {}),
        });
        items.push(...page.items);
        cont = page.metadata?._continue || undefined;
      } while (cont);
      return items;
    },
    async listPods(namespace, jobName) {
      const list = await core.listNamespacedPod({
        namespace,
        labelSelector: `batch.kubernetes.io/job-name=${jobName}`,
      });
      return list.items;
    },
  };
}
