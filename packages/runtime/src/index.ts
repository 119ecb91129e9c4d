export {
  ConfigError,
  commonEnv,
  daysToSeconds,
  jobPolicyEnv,
  kubeEnv,
  opsPort,
  parseConfig,
  quotaEnv,
  retentionEnv,
} from './config.ts';
export { Lifecycle, type Stop } from './lifecycle.ts';
export { busMetricsFor, kubeMetricsFor, type PipelineMetrics, pipelineMetricsFor } from './metrics.ts';
export {
  type HealthDetails,
  type Identity,
  type OpsServer,
  type ReadinessChecks,
  readiness,
  startOpsServer,
} from './ops-server.ts';
export { type BootOptions, bootService, type ServiceConfig, type ServiceContext } from './service.ts';
