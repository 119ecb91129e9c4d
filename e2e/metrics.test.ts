/**
 * Issue 11's metrics, scraped as Prometheus would: every service's /metrics (the gateway's on its ops
 * port, not the API port) before and after a pipeline waits in the queue, runs and ends. Each named
 * family is declared where it belongs, and moved; the Kubernetes requests each service made are
 * all in its row of KUBE_ACCESS (the table its Role is checked against).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ServiceName } from '@po/devstack';
import { KUBE_ACCESS } from '@po/kube';
import { type Stack, startStack, waitFor } from './fixture.ts';
import { jobGone, settled, statusOf, submit } from './pipelines.ts';
import { has, parseMetrics, type Scrape, total } from './prometheus-text.ts';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

async function scrape(name: ServiceName): Promise<Scrape> {
  const svc = stack.system.services.get(name);
  assert.ok(svc, name);
  const res = await fetch(`http://127.0.0.1:${svc.opsPort}/metrics`);
  assert.equal(res.status, 200, `${name} /metrics`);
  return parseMetrics(await res.text());
}

async function scrapeAll(): Promise<Map<ServiceName, Scrape>> {
  const out = new Map<ServiceName, Scrape>();
  for (const name of stack.system.services.keys()) out.set(name, await scrape(name));
  return out;
}

const ALL: ServiceName[] = ['gateway', 'scheduler', 'job-runner', 'watcher', 'log-collector'];
const KUBE: ServiceName[] = ['job-runner', 'watcher', 'log-collector'];

/**
 * family → the services that declare it, and the sample that must have grown (summed over those
 * services) across one pipeline; `undefined`: declared only (it counts faults, and this run has none).
 */
const FAMILIES: [family: string, services: ServiceName[], moved: string | undefined][] = [
  ['po_pipeline_duration_seconds', ['watcher'], 'po_pipeline_duration_seconds_count'],
  ['po_pipeline_queue_wait_seconds', ['scheduler'], 'po_pipeline_queue_wait_seconds_count'],
  ['po_pipelines_finished_total', ['watcher'], 'po_pipelines_finished_total'],
  ['po_kube_requests_total', KUBE, 'po_kube_requests_total'],
  ['po_kube_request_duration_seconds', KUBE, 'po_kube_request_duration_seconds_count'],
  ['po_kube_request_errors_total', KUBE, undefined],
  ['po_informer_restarts_total', ['watcher', 'log-collector'], undefined],
  ['po_informer_watch_age_seconds', ['watcher', 'log-collector'], 'po_informer_watch_age_seconds'],
  ['po_nats_redeliveries_total', ALL, undefined],
  ['po_bus_published_total', ALL, 'po_bus_published_total'],
  ['po_bus_dead_letters_total', ALL, undefined],
  ['po_log_bytes_stored_total', ['log-collector'], 'po_log_bytes_stored_total'],
  ['po_process_cpu_user_seconds_total', ALL, 'po_process_cpu_user_seconds_total'],
  ['po_nodejs_eventloop_lag_seconds', ALL, undefined],
  ['po_process_resident_memory_bytes', ALL, undefined],
];

test('every named family is exposed on the ops ports and moves with a pipeline', async () => {
  const before = await scrapeAll();
  // Pause tenant default so the pipeline waits in the queue long enough to be seen there.
  const pause = await stack.api('/quotas/default', {
    method: 'PUT',
    body: JSON.stringify({ max_running: 0 }),
  });
  assert.equal(pause.status, 200, await pause.clone().text());
  const input = join(stack.dir, 'metrics-input.txt');
  writeFileSync(input, Array.from({ length: 50 }, (_, i) => `record ${i}`).join('\n'));
  const created = await submit(stack, {
    pipeline_type: 'DataProcessing',
    config: { input_path: input, output_path: join(stack.dir, 'metrics-output.txt') },
    priority: 'High',
    timeout_seconds: 120,
  });

  // Queue depth and backlog gauges are computed on scrape from the database and JetStream.
  await waitFor('the queue depth to show the waiting pipeline', async () => {
    const s = await scrape('scheduler');
    return total(s, 'po_queue_depth', { priority: 'High', tenant: 'default' }) === 1;
  });
  for (const name of ['gateway', 'scheduler', 'job-runner', 'log-collector'] as const) {
    const s = await scrape(name);
    assert.ok(has(s, 'po_nats_consumer_pending'), `${name}: po_nats_consumer_pending`);
  }
  for (const name of ALL) assert.ok(has(await scrape(name), 'po_outbox_lag_seconds'), `${name}: outbox lag`);

  const resume = await stack.api('/quotas/default', {
    method: 'PUT',
    body: JSON.stringify({ max_running: 20 }),
  });
  assert.equal(resume.status, 200);
  const done = await settled(stack, created.id);
  assert.equal(done.status, 'Succeeded', `reason: ${done.reason}`);
  await jobGone(stack, (await statusOf(stack, created.id)).job_name);
  await waitFor('the queue depth to drop', async () => {
    const s = await scrape('scheduler');
    return total(s, 'po_queue_depth', { tenant: 'default' }) === 0;
  });

  const afterAll = await waitFor('every family to have moved', async () => {
    const now = await scrapeAll();
    const moved = FAMILIES.every(
      ([, services, sample]) =>
        sample === undefined ||
        services.reduce((n, s) => n + total(now.get(s) as Scrape, sample), 0) >
          services.reduce((n, s) => n + total(before.get(s) as Scrape, sample), 0),
    );
    return moved ? now : undefined;
  });
  for (const [family, services] of FAMILIES) {
    for (const s of services) {
      assert.ok(afterAll.get(s)?.families.has(family), `${s} declares ${family}`);
    }
  }
  const finished = afterAll.get('watcher') as Scrape;
  assert.equal(
    total(finished, 'po_pipelines_finished_total', { template: 'data-processing', status: done.status }) -
      total(before.get('watcher') as Scrape, 'po_pipelines_finished_total', {
        template: 'data-processing',
        status: done.status,
      }),
    1,
    'one finished pipeline, by template and status',
  );
  // No label holds an id: the pipeline's id appears nowhere in any service's metrics.
  for (const [name, s] of afterAll) {
    for (const x of s.samples) {
      assert.ok(!Object.values(x.labels).some((v) => v.includes(created.id)), `${name} ${x.name} has an id`);
    }
  }
});

test('each service calls only the Kubernetes verbs its Role grants (KUBE_ACCESS)', async () => {
  for (const name of ALL) {
    const s = await scrape(name);
    const allowed = new Set(
      (KUBE_ACCESS[name] as readonly { resource: string; verbs: readonly string[] }[]).flatMap((r) =>
        r.verbs.map((v) => `${v} ${r.resource}`),
      ),
    );
    const used = new Set(
      s.samples
        .filter((x) => x.name === 'po_kube_requests_total')
        .map((x) => `${x.labels.verb} ${x.labels.resource}`),
    );
    for (const u of used) assert.ok(allowed.has(u), `${name} called ${u}, which its Role does not grant`);
    if (KUBE.includes(name)) assert.ok(used.size > 0, `${name} made Kubernetes requests`);
    else assert.equal(used.size, 0, `${name} makes no Kubernetes call`);
  }
});
