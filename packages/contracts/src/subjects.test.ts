import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subjects, subjectTemplate } from './subjects.ts';

test('subject templates name tenants and pipeline ids, so span names stay low-cardinality', () => {
  const s = subjects('po');
  const id = '0b5e7f1c-2d3a-4c5b-9e8f-7a6b5c4d3e2f';
  const cases: [string, string][] = [
    [s.pipelineStatus('acme', id), 'po.evt.status.{tenant}.{pipeline_id}'],
    [s.pipelineStatusAll, 'po.evt.status.*.*'],
    [s.tenantStatus('acme'), 'po.evt.status.{tenant}.*'],
    [s.submit('acme'), 'po.intake.submit.{tenant}'],
    [s.api('cancel', 'acme'), 'po.api.cancel.{tenant}'],
    [`${s.tenantInbox('acme')}.x7Yz`, 'po.inbox.{tenant}.{reply}'],
    [s.deadLetter(s.pipelineStatus('acme', id)), 'po.dlq.evt.status.{tenant}.{pipeline_id}'],
    [s.deadLetter(s.jobCreate), 'po.dlq.cmd.job.create'],
    [s.jobCreate, 'po.cmd.job.create'],
    [s.pipelineFinished, 'po.evt.pipeline.finished'],
    ['single', 'single'],
  ];
  for (const [subject, template] of cases) assert.equal(subjectTemplate(subject), template, subject);
});
