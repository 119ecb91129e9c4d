import { CONSUMERS, JobCommand } from '@po/contracts';
import { createJobsApi, loadKubeConfig } from '@po/kube';
import { bootService, type ServiceConfig } from '@po/runtime';
import type { Tracing } from '@po/telemetry';
import { JobRunner } from './job-runner.ts';

export interface JobRunnerConfig extends ServiceConfig {
  KUBECONFIG?: string | undefined;
  K8S_NAMESPACE: string;
  JOB_IMAGE_ALLOW_LIST: string[];
  JOB_MAX_CPU: string;
  JOB_MAX_MEMORY: string;
  JOB_TTL_SECONDS_AFTER_FINISHED: number;
  JOB_RUNNER_CONCURRENCY: number;
}

export async function runJobRunner(config: JobRunnerConfig, tracing: Tracing): Promise<void> {
  const ctx = await bootService('job-runner', config);
  ctx.lifecycle.add('tracing', tracing.shutdown);
  const kc = loadKubeConfig(config.KUBECONFIG ? { kubeconfigPath: config.KUBECONFIG } : {});
  ctx.instrumentKube(kc);
  const jobs = createJobsApi(kc);
  const runner = new JobRunner({
    db: ctx.db,
    subjects: ctx.subjects,
    jobs,
    logger: ctx.logger,
    metrics: ctx.metrics,
    pipelineMetrics: ctx.pipelineMetrics,
    policy: {
      namespace: config.K8S_NAMESPACE,
      imageAllowList: config.JOB_IMAGE_ALLOW_LIST,
      maxCpu: config.JOB_MAX_CPU,
      maxMemory: config.JOB_MAX_MEMORY,
      ttlSecondsAfterFinished: config.JOB_TTL_SECONDS_AFTER_FINISHED,
    },
  });
  ctx.checks.kubernetes = async () => {
    await jobs.listManaged(config.K8S_NAMESPACE);
  };
  ctx.consume({
    stream: 'commands',
    consumer: CONSUMERS.jobRunner,
    schema: JobCommand,
    concurrency: config.JOB_RUNNER_CONCURRENCY,
    handler: (cmd) => runner.handle(cmd),
  });
  ctx.logger.info('job-runner started');
  await ctx.lifecycle.handleSignals();
}
