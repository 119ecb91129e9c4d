import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { PipelineStatus } from '@po/contracts';
import { PodsByJob, podsFromCache } from './pods-by-job.ts';

const pod = (name: string, job: string, phase: string): V1Pod => ({
  metadata: { name, labels: { 'batch.kubernetes.io/job-name': job } },
  status: { phase },
});

test('PodsByJob: pods by their Job, as the informer changes and deletes them', () => {
  const idx = new PodsByJob();
  idx.changed(pod('a-1', 'a', 'Pending'));
  idx.changed(pod('a-1', 'a', 'Running'));
  idx.changed(pod('a-2', 'a', 'Pending'));
  idx.changed(pod('b-1', 'b', 'Running'));
  idx.changed({ metadata: { name: 'no-job' } });
  assert.deepEqual(
    idx.of('a').map((p) => [p.metadata?.name, p.status?.phase]),
    [
      ['a-1', 'Running'],
      ['a-2', 'Pending'],
    ],
  );
  idx.deleted(pod('a-1', 'a', 'Running'));
  idx.deleted(pod('a-2', 'a', 'Running'));
  assert.deepEqual(idx.of('a'), []);
  assert.deepEqual(
    idx.of('b').map((p) => p.metadata?.name),
    ['b-1'],
  );
});

test('podsFromCache: the cache only where it surely holds every pod, else the API is asked', () => {
  const failedThenSucceeded = [pod('a-1', 'a', 'Failed'), pod('a-2', 'a', 'Succeeded')];
  const cases: { name: string; cached: V1Pod[]; status: PipelineStatus; synced: boolean; cache: boolean }[] =
    [
      {
        name: 'succeeded, its pod cached',
        cached: [pod('a-1', 'a', 'Succeeded')],
        status: 'Succeeded',
        synced: true,
        cache: true,
      },
      {
        name: 'succeeded after a failed try',
        cached: failedThenSucceeded,
        status: 'Succeeded',
        synced: true,
        cache: true,
      },
      {
        name: 'succeeded, the cache not synced yet',
        cached: [pod('a-1', 'a', 'Succeeded')],
        status: 'Succeeded',
        synced: false,
        cache: false,
      },
      {
        name: 'succeeded, the cache behind (pod still running)',
        cached: [pod('a-1', 'a', 'Running')],
        status: 'Succeeded',
        synced: true,
        cache: false,
      },
      { name: 'succeeded, no pod cached', cached: [], status: 'Succeeded', synced: true, cache: false },
      {
        name: 'failed (a later try may not be cached yet)',
        cached: [pod('a-1', 'a', 'Failed')],
        status: 'Failed',
        synced: true,
        cache: false,
      },
      {
        name: 'timed out (pods removed at the deadline)',
        cached: [],
        status: 'Timeout',
        synced: true,
        cache: false,
      },
      {
        name: 'cancelled',
        cached: [pod('a-1', 'a', 'Running')],
        status: 'Cancelled',
        synced: true,
        cache: false,
      },
    ];
  for (const c of cases) {
    const got = podsFromCache(c.cached, c.status, c.synced);
    assert.deepEqual(got, c.cache ? c.cached : undefined, c.name);
  }
});
