export type { KubeConfig, KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
export { parseQuantity } from '@po/contracts';
export { KUBE_ACCESS, type KubeAccessService } from './access.ts';
export { type BuildJobInput, buildJob, type JobPolicy } from './build-job.ts';
export { type KubeConfigOptions, loadKubeConfig } from './config.ts';
export {
  classifyKubeError,
  httpStatusOf,
  isAlreadyExists,
  isNotFound,
  type KubeErrorClass,
  kubeStatusOf,
  PolicyViolation,
} from './errors.ts';
export {
  type InformerOptions,
  type RunningInformer,
  startInformer,
  startManagedInformer,
} from './informer.ts';
export { createJobsApi, type JobsApi } from './jobs-api.ts';
export {
  DEFAULT_LEADER_ELECTION,
  type LeaderElection,
  type LeaderElectionOptions,
  type LeaderElectionTiming,
  startLeaderElection,
} from './leader-election.ts';
export { type LeaseStep, type Observed, observe, planLeaseWrite } from './lease-record.ts';
export type { Logger } from './logger.ts';
export {
  type FollowLogOptions,
  followPodLog,
  type LogFollow,
  type LogLine,
  parseLogLine,
  podLogReader,
  type ReadLogOptions,
  readPodLog,
} from './logs.ts';
export {
  instrumentKubeRequests,
  isKubeFailure,
  type KubeMetrics,
  type KubeRequest,
  kubeRequestOf,
} from './requests.ts';
export { slimJob, slimMeta, slimPod } from './slim.ts';
export { disruptionOf, type JobOutcome, mapJobStatus } from './status.ts';
