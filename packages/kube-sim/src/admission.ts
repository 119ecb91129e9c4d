// Defaulting and validation, as the API server does on create and update.
import type { ResourceInfo } from './resources.ts';
import { invalid, type StatusCause } from './status.ts';
import type { Container, Job, KubeObject, PodSpec } from './types.ts';
import { isRecord, semanticEqual } from './types.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

function required(field: string, detail?: string): StatusCause {
  return {
    reason: 'FieldValueRequired',
    message: detail ? `Required value: ${detail}` : 'Required value',
    field,
  };
}

function invalidValue(field: string, value: unknown, detail: string): StatusCause {
  return {
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
    field,
  };
}

export function validateName(o: KubeObject, maxLen: number, label: boolean): StatusCause[] {
  const name = o.metadata.name;
  if (!name) return [required('metadata.name', 'name or generateName is required')];
  const causes: StatusCause[] = [];
  const re = label ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  if (!re.test(name)) causes.push(invalidValue('metadata.name', name, label ? LABEL_MSG : SUBDOMAIN_MSG));
  if (name.length > maxLen) {
    causes.push(invalidValue('metadata.name', name, `must be no more than ${maxLen} characters`));
  }
  return causes;
}

function imagePullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  const last = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const tag = last.includes(':') ? last.split(':').pop() : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Container) {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.imagePullPolicy ??= imagePullPolicy(c.image);
  c.resources ??= {};
}

export function defaultPodSpec(spec: PodSpec, forTemplate: boolean) {
  if (!forTemplate) spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  if (!forTemplate) {
    spec.serviceAccountName ??= 'default';
    spec.serviceAccount ??= spec.serviceAccountName;
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
    spec.priority ??= 0;
  }
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) if (isRecord(c)) defaultContainer(c);
  for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
    if (isRecord(c)) defaultContainer(c);
  }
}

/** Each container of one list; names must be unique across the pod (`seen`). */
function validateContainerList(list: unknown[], path: string, seen: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  list.forEach((c: unknown, i) => {
    const p = `${path}[${i}]`;
    if (!isRecord(c)) {
      causes.push(required(p));
      return;
    }
    const name = c.name;
    if (typeof name !== 'string' || name === '') causes.push(required(`${p}.name`));
    else if (!DNS1123_LABEL.test(name) || name.length > 63)
      causes.push(invalidValue(`${p}.name`, name, LABEL_MSG));
    else if (seen.has(name))
      causes.push({
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: "${name}"`,
        field: `${p}.name`,
      });
    else seen.add(name);
    if (typeof c.image !== 'string' || c.image.trim() === '') causes.push(required(`${p}.image`));
    for (const k of ['command', 'args'] as const) {
      const v = c[k];
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) {
        causes.push(invalidValue(`${p}.${k}`, v, 'must be a list of strings'));
      }
    }
  });
  return causes;
}

function validateContainers(spec: unknown, path: string): StatusCause[] {
  if (!isRecord(spec)) return [required(path)];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [required(`${path}.containers`)];
  const seen = new Set<string>();
  const causes = validateContainerList(containers, `${path}.containers`, seen);
  // Init containers may not reuse a container's name (the duplicate is reported on the init one).
  const inits = spec.initContainers;
  if (inits !== undefined && inits !== null) {
    if (Array.isArray(inits)) causes.push(...validateContainerList(inits, `${path}.initContainers`, seen));
    else causes.push(invalidValue(`${path}.initContainers`, inits, 'must be a list of containers'));
  }
  const tgps = spec.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps < 0) {
    causes.push(
      invalidValue(`${path}.terminationGracePeriodSeconds`, tgps, 'must be greater than or equal to 0'),
    );
  }
  return causes;
}

function nonNegative(spec: Record<string, unknown>, field: string, causes: StatusCause[]) {
  const v = spec[field];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    causes.push(invalidValue(`spec.${field}`, v, 'must be greater than or equal to 0'));
  }
}

export function defaultJob(job: Job, uid: string) {
  const spec = job.spec;
  if (!isRecord(spec)) return;
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  const name = job.metadata.name ?? '';
  if (spec.manualSelector !== true) {
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  }
  if (isRecord(spec.template)) {
    // batch/v1 defaulting: a Job without labels takes its pod template's (before the generated ones).
    const tplLabels = isRecord(spec.template.metadata) ? spec.template.metadata.labels : undefined;
    if (
      isRecord(tplLabels) &&
      Object.keys(tplLabels).length > 0 &&
      Object.keys(job.metadata.labels ?? {}).length === 0
    ) {
      job.metadata.labels = { ...(tplLabels as Record<string, string>) };
    }
    spec.template.metadata ??= {};
    const meta = spec.template.metadata;
    meta.labels = {
      ...(meta.labels ?? {}),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    if (isRecord(spec.template.spec)) defaultPodSpec(spec.template.spec, true);
  }
}

export function validateJob(job: Job): StatusCause[] {
  const causes = validateName(job, 63, false);
  const spec: unknown = job.spec;
  if (!isRecord(spec)) return [...causes, required('spec')];
  for (const f of [
    'parallelism',
    'completions',
    'backoffLimit',
    'activeDeadlineSeconds',
    'ttlSecondsAfterFinished',
  ]) {
    nonNegative(spec, f, causes);
  }
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number' && ads <= 0) {
    causes.push(invalidValue('spec.activeDeadlineSeconds', ads, 'must be greater than 0'));
  }
  if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(spec.completionMode)}: supported values: "NonIndexed", "Indexed"`,
      field: 'spec.completionMode',
    });
  }
  if (spec.completionMode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    causes.push(required('spec.completions', 'when completion mode is Indexed'));
  }
  const tpl = spec.template;
  if (!isRecord(tpl)) {
    causes.push(required('spec.template'));
    return causes;
  }
  const podSpec = tpl.spec;
  const rp = isRecord(podSpec) ? podSpec.restartPolicy : undefined;
  if (rp === undefined) {
    causes.push(required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  } else if (rp !== 'Never' && rp !== 'OnFailure') {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(rp)}: supported values: "OnFailure", "Never"`,
      field: 'spec.template.spec.restartPolicy',
    });
  }
  causes.push(...validateContainers(podSpec, 'spec.template.spec'));
  const pfp = spec.podFailurePolicy;
  if (isRecord(pfp) && rp === 'OnFailure') {
    causes.push(
      invalidValue(
        'spec.template.spec.restartPolicy',
        rp,
        'only "Never" is supported when podFailurePolicy is specified',
      ),
    );
  }
  if (isRecord(pfp)) {
    const rules = Array.isArray(pfp.rules) ? pfp.rules : [];
    rules.forEach((r: unknown, i) => {
      const p = `spec.podFailurePolicy.rules[${i}]`;
      if (!isRecord(r)) return;
      if (!['FailJob', 'Ignore', 'Count', 'FailIndex'].includes(String(r.action))) {
        causes.push({
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: ${JSON.stringify(r.action)}: supported values: "Count", "FailIndex", "FailJob", "Ignore"`,
          field: `${p}.action`,
        });
      }
      if ((r.onExitCodes === undefined) === (r.onPodConditions === undefined)) {
        causes.push(
          invalidValue(
            p,
            'specifying one of OnExitCodes and OnPodConditions is required',
            'specifying one of OnExitCodes and OnPodConditions is required',
          ),
        );
      }
    });
  }
  return causes;
}

const IMMUTABLE_JOB_FIELDS = [
  'completions',
  'completionMode',
  'podFailurePolicy',
  'selector',
  'manualSelector',
];

export function validateJobUpdate(prev: Job, next: Job): StatusCause[] {
  const causes = validateJob(next);
  const a: Record<string, unknown> = prev.spec;
  const b: Record<string, unknown> = next.spec ?? {};
  // The pod template is mutable only while the Job is suspended and has never started.
  const templateMutable = prev.spec.suspend === true && !prev.status?.startTime;
  if (!templateMutable && !semanticEqual(a.template, b.template)) {
    causes.push(invalidValue('spec.template', b.template, 'field is immutable'));
  }
  for (const f of IMMUTABLE_JOB_FIELDS) {
    if (!semanticEqual(a[f], b[f])) causes.push(invalidValue(`spec.${f}`, b[f], 'field is immutable'));
  }
  return causes;
}

export function validatePod(pod: KubeObject): StatusCause[] {
  const causes = validateName(pod, 253, false);
  causes.push(...validateContainers(pod.spec, 'spec'));
  const rp = isRecord(pod.spec) ? pod.spec.restartPolicy : undefined;
  if (rp !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(rp))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(rp)}: supported values: "Always", "OnFailure", "Never"`,
      field: 'spec.restartPolicy',
    });
  }
  return causes;
}

export function validatePodUpdate(prev: KubeObject, next: KubeObject): StatusCause[] {
  const causes = validatePod(next);
  // Pod spec is (almost) immutable; we allow only activeDeadlineSeconds like the real server.
  const strip = (s: unknown) => (isRecord(s) ? { ...s, activeDeadlineSeconds: undefined } : s);
  if (!semanticEqual(strip(prev.spec), strip(next.spec))) {
    causes.push({
      reason: 'FieldValueForbidden',
      message:
        'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
      field: 'spec',
    });
  }
  return causes;
}

export function validateNamespace(ns: KubeObject): StatusCause[] {
  return validateName(ns, 63, true);
}

/** Run validation for a resource and throw 422 Invalid with causes. */
export function assertValid(info: ResourceInfo, obj: KubeObject, causes: StatusCause[]) {
  if (causes.length > 0) throw invalid(info.kind, info.group, obj.metadata.name ?? '', causes);
}
