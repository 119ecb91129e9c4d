import type { V1EnvVar, V1Job, V1ResourceRequirements } from '@kubernetes/client-node';
import {
  ANNOTATION_TRACEPARENT,
  CONTAINER_NAME,
  imageAllowed,
  jobNameFor,
  LABEL_ATTEMPT,
  LABEL_MANAGED_BY,
  LABEL_PIPELINE_ID,
  LABEL_TEMPLATE,
  MANAGED_BY,
  parseQuantity,
  type RenderedJob,
} from '@po/contracts';
import { PolicyViolation } from './errors.ts';

export interface JobPolicy {
  namespace: string;
  /** Safety net only: longer than normal cleanup (logs are captured, then the Job is deleted). */
  ttlSecondsAfterFinished: number;
  /** Allow-list rules (`imageAllowed` in @po/contracts: whole repositories or `ns/*`); empty allows every image. */
  imageAllowList: string[];
  maxCpu: string;
  maxMemory: string;
  serviceAccountName?: string;
}

export interface BuildJobInput {
  pipelineId: string;
  attempt: number;
  job: RenderedJob;
  timeoutSeconds: number;
  traceparent?: string;
}

/** Set by the builder; a rendered env var of the same name is dropped. */
const SYSTEM_ENV = new Set(['PIPELINE_ID', 'TRACEPARENT', 'POD_NAME', 'POD_NAMESPACE']);
const NON_ROOT_UID = 65532;

/**
 * A pod the cluster ended (eviction, preemption, node loss, pod GC: Kubernetes marks it with the
 * DisruptionTarget condition) is replaced without using up backoffLimit: the workload did not fail.
 * A pod deleted by a plain DELETE gets no such condition in Kubernetes and counts as a failure.
 */
const DISRUPTIONS_DO_NOT_COUNT: NonNullable<V1Job['spec']>['podFailurePolicy'] = {
  rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
};

function quantity(value: string, what: string): number {
  const n = parseQuantity(value);
  if (n === null) throw new PolicyViolation(`${what}: '${value}' is not a Kubernetes quantity`);
  return n;
}

/** The smaller of a quantity and the policy maximum, keeping the original spelling when it fits. */
function capped(value: string, max: string, what: string): string {
  return quantity(value, what) > quantity(max, `policy max for ${what}`) ? max : value;
}

function resourcesFor(job: RenderedJob, policy: JobPolicy): V1ResourceRequirements {
  const r = job.resources;
  const cpuLimit = capped(r.cpu_limit, policy.maxCpu, 'cpu_limit');
  const memLimit = capped(r.memory_limit, policy.maxMemory, 'memory_limit');
  // A request above its limit is invalid, so requests are capped by the (capped) limits.
  const cpuRequest = capped(r.cpu_request, cpuLimit, 'cpu_request');
  const memRequest = capped(r.memory_request, memLimit, 'memory_request');
  return {
    requests: { cpu: cpuRequest, memory: memRequest },
    limits: { cpu: cpuLimit, memory: memLimit },
  };
}

function checkImage(image: string, allow: string[]): void {
  if (!imageAllowed(image, allow)) {
    throw new PolicyViolation(`image '${image}' is not in the allow-list (${allow.join(', ')})`);
  }
}

/**
 * Kubernetes expands `$(VAR)` in command, args and env values and turns `$$` into `$`. Doubling every
 * `$` makes the container see exactly the rendered string, so a config value cannot pull in another
 * variable's value.
 */
export function escapeExpansion(s: string): string {
  return s.replaceAll('$', '$$$$');
}

function envFor(input: BuildJobInput): V1EnvVar[] {
  const env: V1EnvVar[] = Object.keys(input.job.env)
    .filter((name) => !SYSTEM_ENV.has(name))
    .sort()
    .map((name) => ({ name, value: escapeExpansion(input.job.env[name] ?? '') }));
  env.push({ name: 'PIPELINE_ID', value: escapeExpansion(input.pipelineId) });
  if (input.traceparent) env.push({ name: 'TRACEPARENT', value: escapeExpansion(input.traceparent) });
  env.push({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  env.push({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
  return env;
}

/**
 * The Job for one pipeline attempt. Pure and deterministic: the same input gives the same object, so a
 * re-delivered create is an AlreadyExists. Every safety field is always set (invariant 7).
 */
export function buildJob(input: BuildJobInput, policy: JobPolicy): V1Job {
  const { job } = input;
  checkImage(job.image, policy.imageAllowList);
  if (!Number.isSafeInteger(input.timeoutSeconds) || input.timeoutSeconds < 1) {
    throw new PolicyViolation(`timeoutSeconds must be a positive integer, got ${input.timeoutSeconds}`);
  }
  if (!Number.isSafeInteger(input.attempt) || input.attempt < 0) {
    throw new PolicyViolation(`attempt must be a non-negative integer, got ${input.attempt}`);
  }
  if (job.command.length === 0) throw new PolicyViolation('command must name an executable');

  const labels = {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_PIPELINE_ID]: input.pipelineId,
    [LABEL_ATTEMPT]: String(input.attempt),
    [LABEL_TEMPLATE]: job.template,
  };
  const annotations: Record<string, string> = {};
  if (input.traceparent) annotations[ANNOTATION_TRACEPARENT] = input.traceparent;

  const spec: NonNullable<V1Job['spec']> = {
    backoffLimit: job.backoffLimit,
    podFailurePolicy: DISRUPTIONS_DO_NOT_COUNT,
    activeDeadlineSeconds: input.timeoutSeconds,
    ttlSecondsAfterFinished: Math.max(policy.ttlSecondsAfterFinished, job.ttlSecondsAfterFinished ?? 0),
    template: {
      metadata: { labels: { ...labels }, annotations: { ...annotations } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: NON_ROOT_UID,
          runAsGroup: NON_ROOT_UID,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: CONTAINER_NAME,
            image: job.image,
            imagePullPolicy: 'IfNotPresent',
            // A workload that fails without writing /dev/termination-log still explains itself: the
            // kubelet puts its log's tail (80 lines, 2 KiB) in the terminated state's message.
            terminationMessagePolicy: 'FallbackToLogsOnError',
            command: job.command.map(escapeExpansion),
            args: job.args.map(escapeExpansion),
            env: envFor(input),
            resources: resourcesFor(job, policy),
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              capabilities: { drop: ['ALL'] },
            },
            // The root filesystem is read-only; scratch space lives here.
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
      },
    },
  };
  if (job.parallelism !== undefined) spec.parallelism = job.parallelism;
  if (job.completions !== undefined) spec.completions = job.completions;
  if (policy.serviceAccountName !== undefined && spec.template.spec) {
    spec.template.spec.serviceAccountName = policy.serviceAccountName;
  }

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(input.pipelineId, input.attempt),
      namespace: policy.namespace,
      labels,
      annotations,
    },
    spec,
  };
}
