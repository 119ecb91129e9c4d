import { z } from 'zod';

/** Kubernetes resource quantities as the seed's ResourceSpec spells them. */
export const ResourceSpec = z.object({
  cpu_request: z.string(),
  memory_request: z.string(),
  cpu_limit: z.string(),
  memory_limit: z.string(),
});
export type ResourceSpec = z.infer<typeof ResourceSpec>;

/**
 * A template rendered for one pipeline: everything the Job builder needs and nothing that
 * depends on the attempt. Produced by `@po/templates`, consumed by `@po/kube`.
 */
export const RenderedJob = z.object({
  template: z.string(),
  image: z.string(),
  command: z.array(z.string()),
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  resources: ResourceSpec,
  backoffLimit: z.number().int().min(0),
  parallelism: z.number().int().min(1).optional(),
  completions: z.number().int().min(1).optional(),
  ttlSecondsAfterFinished: z.number().int().min(0).optional(),
  /** Exit codes that end an attempt but are worth a new one (a transient failure the workload reports). */
  retryableExitCodes: z.array(z.number().int().min(1).max(255)).max(32).optional(),
});
export type RenderedJob = z.infer<typeof RenderedJob>;
