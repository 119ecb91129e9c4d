/** Every Job ever created in the namespace while a test runs, seen on a watch opened before it acts. */
import { type KubeConfig, type V1Job, Watch } from '@kubernetes/client-node';
import { NAMESPACE } from './fixture.ts';

export interface JobCreations {
  /** Distinct Jobs (by uid) created under each name since the watch opened. */
  count(name: string): number;
  stop(): void;
}

export async function watchJobCreations(kc: KubeConfig): Promise<JobCreations> {
  const uids = new Map<string, Set<string>>();
  let resourceVersion: string | undefined;
  let stopped = false;
  let current: { abort(): void } | undefined;
  const open = async (): Promise<void> => {
    current = await new Watch(kc).watch(
      `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
      resourceVersion ? { resourceVersion } : {},
      (type: string, job: V1Job) => {
        resourceVersion = job.metadata?.resourceVersion ?? resourceVersion;
        const name = job.metadata?.name;
        const uid = job.metadata?.uid;
        if (type !== 'ADDED' || !name || !uid) return;
        const seen = uids.get(name) ?? new Set<string>();
        seen.add(uid);
        uids.set(name, seen);
      },
      () => {
        // A watch the server ends is resumed where it stopped: no creation is missed.
        if (!stopped) void open();
      },
    );
  };
  await open();
  return {
    count: (name) => uids.get(name)?.size ?? 0,
    stop() {
      stopped = true;
      current?.abort();
    },
  };
}
