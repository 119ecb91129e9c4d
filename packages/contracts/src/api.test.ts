import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreatePipelineRequest, templateNameOf } from './api.ts';
import { jobNameFor } from './kube.ts';
import { subjects } from './subjects.ts';

test('the seed request body parses with its exact spellings', () => {
  const body = {
    pipeline_type: 'DataProcessing',
    config: { input_path: '/in', output_path: '/out' },
    priority: 'High',
    timeout_seconds: 600,
  };
  assert.deepEqual(CreatePipelineRequest.parse(body), body);
  const custom = { ...body, pipeline_type: { Custom: { template: 'my-etl' } } };
  assert.equal(templateNameOf(CreatePipelineRequest.parse(custom).pipeline_type), 'my-etl');
  assert.equal(templateNameOf('ETL'), 'etl');
});

test('unknown fields, wrong enum spellings and bad timeouts are refused', () => {
  const base = { pipeline_type: 'ETL', config: {}, priority: 'Low' };
  for (const bad of [
    { ...base, extra: 1 },
    { ...base, priority: 'low' },
    { ...base, pipeline_type: 'Etl' },
    { ...base, pipeline_type: { Custom: { template: 'Bad Name' } } },
    { ...base, timeout_seconds: 0 },
    { ...base, timeout_seconds: 1.5 },
    { ...base, config: [] },
  ]) {
    assert.equal(CreatePipelineRequest.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('job names are deterministic DNS-1123 names that leave room for pod suffixes', () => {
  const name = jobNameFor('0b7f9c1e-8d2a-4a57-9a43-2f4c1b9d7e10', 12);
  assert.equal(name, 'pipeline-0b7f9c1e-8d2a-4a57-9a43-2f4c1b9d7e10-12');
  assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.ok(name.length + 6 <= 63);
});

test('subjects are namespaced by prefix and refuse prefixes that would break tokens', () => {
  const s = subjects('t1');
  assert.equal(s.pipelineStatus('acme', 'abc'), 't1.evt.status.acme.abc');
  assert.equal(s.submit('acme'), 't1.intake.submit.acme');
  assert.equal(s.api('get', 'acme'), 't1.api.get.acme');
  // A tenant id that is not one token would widen what its NATS user may touch.
  for (const bad of ['a.b', '*', '>', 'a b', '', 'A'])
    assert.throws(() => s.submit(bad), /invalid tenant id/);
  assert.equal(s.deadLetter(s.jobCreate), 't1.dlq.cmd.job.create');
  assert.throws(() => subjects('a.b'));
  assert.throws(() => subjects('A'));
});

test('a wrong pipeline_type is explained with the accepted spellings', () => {
  const r = CreatePipelineRequest.safeParse({ pipeline_type: 'Nope', config: {}, priority: 'Low' });
  assert.equal(r.success, false);
  assert.match(
    r.error?.issues[0]?.message ?? '',
    /"DataProcessing", "ModelTraining", "ETL", "Backup" or \{"Custom"/,
  );
});
