import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job } from '@kubernetes/client-node';
import {
  ANNOTATION_TRACEPARENT,
  CONTAINER_NAME,
  LABEL_ATTEMPT,
  LABEL_MANAGED_BY,
  LABEL_PIPELINE_ID,
  LABEL_TEMPLATE,
  MANAGED_BY,
  parseQuantity,
  type RenderedJob,
} from '@po/contracts';
import { type BuildJobInput, buildJob, type JobPolicy } from './build-job.ts';
import { PolicyViolation } from './errors.ts';

const PID = '11111111-2222-4333-8444-555555555555';
const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const policy: JobPolicy = {
  namespace: 'pipelines',
  ttlSecondsAfterFinished: 86_400,
  imageAllowList: ['python', 'ghcr.io/acme/*'],
  maxCpu: '2',
  maxMemory: '4Gi',
};

function rendered(over: Partial<RenderedJob> = {}): RenderedJob {
  return {
    template: 'data-processing',
    image: 'python:3.11-slim',
    command: ['python3', '-c'],
    args: ['print(1)'],
    env: { INPUT_PATH: '/in', PYTHONUNBUFFERED: '1', PIPELINE_ID: 'spoofed' },
    resources: { cpu_request: '100m', memory_request: '256Mi', cpu_limit: '500m', memory_limit: '1Gi' },
    backoffLimit: 0,
    ...over,
  };
}

function build(over: Partial<BuildJobInput> = {}, pol: Partial<JobPolicy> = {}): V1Job {
  return buildJob(
    { pipelineId: PID, attempt: 2, job: rendered(), timeoutSeconds: 600, traceparent: TP, ...over },
    {
      ...policy,
      ...pol,
    },
  );
}

function podSpec(job: V1Job) {
  const spec = job.spec?.template.spec;
  assert.ok(spec);
  return spec;
}
function container(job: V1Job) {
  const c = podSpec(job).containers[0];
  assert.ok(c);
  return c;
}

describe('buildJob', () => {
  it('names, labels and annotates deterministically', () => {
    const job = build();
    assert.equal(job.apiVersion, 'batch/v1');
    assert.equal(job.kind, 'Job');
    assert.equal(job.metadata?.name, `pipeline-${PID}-2`);
    assert.equal(job.metadata?.namespace, 'pipelines');
    const labels = {
      [LABEL_MANAGED_BY]: MANAGED_BY,
      [LABEL_PIPELINE_ID]: PID,
      [LABEL_ATTEMPT]: '2',
      [LABEL_TEMPLATE]: 'data-processing',
    };
    assert.deepEqual(job.metadata?.labels, labels);
    assert.deepEqual(job.spec?.template.metadata?.labels, labels);
    assert.deepEqual(job.metadata?.annotations, { [ANNOTATION_TRACEPARENT]: TP });
    assert.deepEqual(build(), job, 'same input, same object');
  });

  it('omits the traceparent when none is given', () => {
    const job = build({ traceparent: undefined });
    assert.deepEqual(job.metadata?.annotations, {});
    assert.equal(
      container(job).env?.some((e) => e.name === 'TRACEPARENT'),
      false,
    );
  });

  it('sets the restricted security context and no service account token', () => {
    const job = build();
    const spec = podSpec(job);
    assert.equal(spec.restartPolicy, 'Never');
    assert.equal(spec.automountServiceAccountToken, false);
    assert.deepEqual(spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = container(job);
    assert.equal(c.name, CONTAINER_NAME);
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.equal(spec.serviceAccountName, undefined);
    assert.equal(podSpec(build({}, { serviceAccountName: 'runner' })).serviceAccountName, 'runner');
  });

  it('falls back to the log tail for the termination message, whatever the template', () => {
    for (const job of [build(), build({ job: rendered({ backoffLimit: 3, parallelism: 2 }) })]) {
      assert.equal(container(job).terminationMessagePolicy, 'FallbackToLogsOnError');
    }
  });

  it('sets deadline, ttl, backoff, parallelism and completions', () => {
    const job = build({
      job: rendered({ backoffLimit: 3, parallelism: 2, completions: 4 }),
      timeoutSeconds: 42,
    });
    assert.equal(job.spec?.activeDeadlineSeconds, 42);
    assert.equal(job.spec?.ttlSecondsAfterFinished, 86_400);
    assert.equal(job.spec?.backoffLimit, 3);
    assert.equal(job.spec?.parallelism, 2);
    assert.equal(job.spec?.completions, 4);
    const plain = build();
    assert.equal(plain.spec?.parallelism, undefined);
    assert.equal(plain.spec?.completions, undefined);
    assert.equal(
      build({ job: rendered({ ttlSecondsAfterFinished: 10 }) }).spec?.ttlSecondsAfterFinished,
      86_400,
    );
  });

  it('replaces a disrupted pod without using up backoffLimit (podFailurePolicy; needs restartPolicy Never)', () => {
    const job = build();
    assert.deepEqual(job.spec?.podFailurePolicy, {
      rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }],
    });
    assert.equal(podSpec(job).restartPolicy, 'Never');
  });

  it('passes command and args through unchanged', () => {
    const c = container(build({ job: rendered({ args: ['a b', '$(x)', ''] }) }));
    assert.deepEqual(c.command, ['python3', '-c']);
    assert.deepEqual(c.args, ['a b', '$$(x)', '']);
    assert.equal(c.image, 'python:3.11-slim');
  });

  it('escapes $ so Kubernetes $(VAR) expansion never applies', () => {
    const c = container(
      build({
        job: rendered({ command: ['sh$'], args: ['$(POD_NAME)'], env: { A: '$(PIPELINE_ID) $$ $' } }),
      }),
    );
    assert.deepEqual(c.command, ['sh$$']);
    assert.deepEqual(c.args, ['$$(POD_NAME)']);
    assert.deepEqual(c.env?.[0], { name: 'A', value: '$$(PIPELINE_ID) $$$$ $$' });
  });

  it('builds env: rendered vars, PIPELINE_ID, TRACEPARENT, downward API', () => {
    assert.deepEqual(container(build()).env, [
      { name: 'INPUT_PATH', value: '/in' },
      { name: 'PYTHONUNBUFFERED', value: '1' },
      { name: 'PIPELINE_ID', value: PID },
      { name: 'TRACEPARENT', value: TP },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
  });

  const resources: { name: string; res: RenderedJob['resources']; expect: object }[] = [
    {
      name: 'within policy',
      res: { cpu_request: '100m', memory_request: '256Mi', cpu_limit: '500m', memory_limit: '1Gi' },
      expect: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } },
    },
    {
      name: 'limits capped',
      res: { cpu_request: '1', memory_request: '1Gi', cpu_limit: '8', memory_limit: '16Gi' },
      expect: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    },
    {
      name: 'requests capped to capped limits',
      res: { cpu_request: '3000m', memory_request: '5G', cpu_limit: '4', memory_limit: '8Gi' },
      expect: { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    },
    {
      name: 'request above its own limit',
      res: { cpu_request: '1', memory_request: '2Gi', cpu_limit: '500m', memory_limit: '1Gi' },
      expect: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } },
    },
    {
      name: 'decimal vs binary suffixes',
      res: { cpu_request: '0.5', memory_request: '4000M', cpu_limit: '2000m', memory_limit: '4294967296' },
      expect: { requests: { cpu: '0.5', memory: '4000M' }, limits: { cpu: '2000m', memory: '4294967296' } },
    },
  ];
  for (const c of resources) {
    it(`resources: ${c.name}`, () => {
      assert.deepEqual(container(build({ job: rendered({ resources: c.res }) })).resources, c.expect);
    });
  }

  const refusals: { name: string; input: Partial<BuildJobInput>; pol?: Partial<JobPolicy>; msg: RegExp }[] = [
    {
      name: 'image outside allow-list',
      input: { job: rendered({ image: 'evil.io/miner:1' }) },
      msg: /allow-list/,
    },
    {
      name: 'image whose name only starts like an allowed repository',
      input: { job: rendered({ image: 'pythonevil:3.11' }) },
      msg: /allow-list/,
    },
    {
      name: 'image on a registry whose name only starts like an allowed one',
      input: { job: rendered({ image: 'ghcr.io.evil.com/acme/x:1' }) },
      msg: /allow-list/,
    },
    {
      name: 'invalid quantity',
      input: { job: rendered({ resources: { ...rendered().resources, cpu_limit: 'lots' } }) },
      msg: /quantity/,
    },
    {
      name: 'empty quantity',
      input: { job: rendered({ resources: { ...rendered().resources, memory_request: '' } }) },
      msg: /quantity/,
    },
    { name: 'zero timeout', input: { timeoutSeconds: 0 }, msg: /timeoutSeconds/ },
    { name: 'fractional timeout', input: { timeoutSeconds: 1.5 }, msg: /timeoutSeconds/ },
    { name: 'negative attempt', input: { attempt: -1 }, msg: /attempt/ },
    { name: 'empty command', input: { job: rendered({ command: [] }) }, msg: /command/ },
  ];
  for (const c of refusals) {
    it(`refuses: ${c.name}`, () => {
      assert.throws(
        () => build(c.input, c.pol),
        (e: unknown) => e instanceof PolicyViolation && e.name === 'PolicyViolation' && c.msg.test(e.message),
      );
    });
  }

  it('an empty allow-list allows every image', () => {
    assert.equal(
      container(build({ job: rendered({ image: 'anything:1' }) }, { imageAllowList: [] })).image,
      'anything:1',
    );
  });
});

describe('parseQuantity', () => {
  const table: [string, number | null][] = [
    ['100m', 0.1],
    ['1', 1],
    ['0.5', 0.5],
    ['2k', 2000],
    ['1Ki', 1024],
    ['256Mi', 256 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1M', 1e6],
    ['1e3', 1000],
    ['1Ti', 2 ** 40],
    ['', null],
    ['lots', null],
    ['1GB', null],
    ['-1', null],
    ['1 Gi', null],
  ];
  for (const [q, n] of table) it(`${JSON.stringify(q)} → ${n}`, () => assert.equal(parseQuantity(q), n));
});
