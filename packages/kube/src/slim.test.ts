import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { slimJob, slimMeta, slimPod } from './slim.ts';
import { mapJobStatus } from './status.ts';

const managedFields = [{ manager: 'kube-sim', operation: 'Update', fieldsV1: { 'f:spec': {} } }];
const meta = {
  name: 'pipeline-x-1',
  namespace: 'pipelines',
  uid: 'u1',
  resourceVersion: '42',
  labels: { 'pipeline-operator.io/pipeline-id': 'x' },
  annotations: { traceparent: '00-abc-def-01' },
  creationTimestamp: new Date(0),
  deletionTimestamp: new Date(1),
  managedFields,
};
const job: V1Job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: meta,
  spec: {
    suspend: false,
    backoffLimit: 0,
    activeDeadlineSeconds: 60,
    selector: { matchLabels: { a: 'b' } },
    template: {
      spec: { containers: [{ name: 'main', image: 'busybox', env: [{ name: 'A', value: 'x' }] }] },
    },
  },
  status: { active: 1, conditions: [{ type: 'Complete', status: 'True' }] },
};
const pod: V1Pod = {
  metadata: meta,
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
  status: {
    phase: 'Succeeded',
    containerStatuses: [
      {
        name: 'main',
        image: 'busybox',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      },
    ],
  },
};

test('slimMeta drops managedFields and keeps every other field', () => {
  const { managedFields: _, ...rest } = meta;
  assert.deepEqual(slimMeta(meta), rest);
  assert.equal(slimMeta(undefined), undefined);
  const plain = { name: 'n' };
  assert.equal(slimMeta(plain), plain);
});

test('slimJob keeps metadata, status and the spec scalars; drops the template, selector and managedFields', () => {
  const s = slimJob(job);
  assert.deepEqual(s.spec, { suspend: false, backoffLimit: 0, activeDeadlineSeconds: 60 });
  assert.equal(s.status, job.status);
  assert.equal(s.metadata?.managedFields, undefined);
  assert.deepEqual(s.metadata?.labels, meta.labels);
  assert.deepEqual(s.metadata?.annotations, meta.annotations);
  assert.ok(job.spec?.template, 'the input is not changed');
  assert.deepEqual(slimJob({ metadata: { name: 'j' } }), { metadata: { name: 'j' } });
});

test('slimPod keeps metadata and status; drops the spec', () => {
  const s = slimPod(pod);
  assert.deepEqual(s.spec, {});
  assert.equal(s.status, pod.status);
  assert.equal(s.metadata?.uid, 'u1');
  assert.equal(s.metadata?.managedFields, undefined);
});

test('a slim Job and pod map to the same pipeline status as the whole objects', () => {
  const whole = { ...job, metadata: { ...meta, deletionTimestamp: undefined } };
  assert.deepEqual(mapJobStatus(slimJob(whole), [slimPod(pod)]), mapJobStatus(whole, [pod]));
  assert.ok(mapJobStatus(whole, [pod]));
});
