import type { KubeConfig, V1Job, V1Pod } from '@kubernetes/client-node';
import { MANAGED_SELECTOR } from '@po/contracts';
import { isAlreadyExists, isNotFound, isPreconditionFailed } from './errors.ts';
import { kubeJson, kubeListPages, resourcePath } from './http.ts';

export interface JobsApi {
  /** 'exists' when a Job of that name is already there (names are deterministic, so that means done). */
  create(job: V1Job): Promise<'created' | 'exists'>;
  /** As create, with the uid of the Job it created (undefined when one was already there). */
  createWithUid(job: V1Job): Promise<{ outcome: 'created' | 'exists'; uid: string | undefined }>;
  /** Always propagationPolicy Background, so the pods go too; 'gone' when it was already deleted. */
  delete(namespace: string, name: string): Promise<'deleted' | 'gone'>;
  /**
   * Deletes the Job of that name only if it is the object `uid` names (a precondition the API server
   * checks): 'replaced' when another object has the name now, 'gone' when none has.
   */
  deleteUid(namespace: string, name: string, uid: string): Promise<'deleted' | 'gone' | 'replaced'>;
  get(namespace: string, name: string): Promise<V1Job | undefined>;
  listManaged(namespace: string): Promise<V1Job[]>;
  listPods(namespace: string, jobName: string): Promise<V1Pod[]>;
}

const PAGE = 500;

/**
 * Thin wrappers: idempotency signals become return values; every other error is thrown for
 * classifyKubeError. Objects come back as the API server's JSON (http.ts), timestamps as its strings.
 */
export function createJobsApi(kc: KubeConfig): JobsApi {
  const createWithUid = async (job: V1Job) => {
    const namespace = job.metadata?.namespace;
    if (!namespace) throw new Error('job.metadata.namespace is required');
    try {
      const created = await kubeJson<V1Job>(kc, 'POST', resourcePath('jobs', namespace), job);
      return { outcome: 'created' as const, uid: created?.metadata?.uid };
    } catch (err) {
      if (isAlreadyExists(err)) return { outcome: 'exists' as const, uid: undefined };
      throw err;
    }
  };
  return {
    async create(job) {
      return (await createWithUid(job)).outcome;
    },
    createWithUid,
    async deleteUid(namespace, name, uid) {
      try {
        // With a body the server reads the options from it alone: the policy goes there too.
        await kubeJson(kc, 'DELETE', resourcePath('jobs', namespace, name), {
          propagationPolicy: 'Background',
          preconditions: { uid },
        });
        return 'deleted';
      } catch (err) {
        if (isNotFound(err)) return 'gone';
        if (isPreconditionFailed(err)) return 'replaced';
        throw err;
      }
    },
    async delete(namespace, name) {
      try {
        // Never with a body: a non-empty body makes the server ignore the query's propagationPolicy.
        await kubeJson(kc, 'DELETE', `${resourcePath('jobs', namespace, name)}?propagationPolicy=Background`);
        return 'deleted';
      } catch (err) {
        if (isNotFound(err)) return 'gone';
        throw err;
      }
    },
    async get(namespace, name) {
      try {
        return await kubeJson<V1Job>(kc, 'GET', resourcePath('jobs', namespace, name));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async listManaged(namespace) {
      const items: V1Job[] = [];
      await kubeListPages<V1Job>(
        kc,
        resourcePath('jobs', namespace),
        { labelSelector: MANAGED_SELECTOR, limit: PAGE },
        (page) => items.push(...page),
      );
      return items;
    },
    async listPods(namespace, jobName) {
      const pods: V1Pod[] = [];
      await kubeListPages<V1Pod>(
        kc,
        resourcePath('pods', namespace),
        { labelSelector: `batch.kubernetes.io/job-name=${jobName}` },
        (page) => pods.push(...page),
      );
      return pods;
    },
  };
}
