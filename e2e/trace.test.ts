/**
 * Invariant 6: one trace per pipeline. An SRE opening the trace of a pipeline sees the request, the
 * admission, the Job creation, the watcher's transitions, the log capture and the Job deletion —
 * spans from all five services under one trace id, and the workload itself got the trace context.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type V1Job, Watch } from '@kubernetes/client-node';
import { NAMESPACE, type Stack, startStack, waitFor } from './fixture.ts';
import { type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.ts';
import {
  type Created,
  jobGone,
  registerGatedTemplate,
  settled,
  statusOf,
  submit,
  submitGated,
} from './pipelines.ts';
import { describeSpans, hasUuid, lifecycleSpans, shapeOf } from './trace-analysis.ts';

const TRACE_UI = 'http://jaeger.example:16686';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let stack: Stack;
before(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, TRACE_UI_URL: TRACE_UI } });
});
after(async () => {
  await stack?.stop();
  await receiver?.close();
});

test('a pipeline is one trace from the HTTP request to the Job deletion, across all five services', async () => {
  // Jobs live for well under a second here; watch them to see what the workload was given.
  const created: V1Job[] = [];
  const watch = await new Watch(stack.kc).watch(
    '/apis/batch/v1/namespaces/pipelines/jobs',
    {},
    (type: string, job: V1Job) => {
      if (type === 'ADDED') created.push(job);
    },
    () => {},
  );
  const input = join(stack.dir, 'in.txt');
  writeFileSync(input, 'x\n');
  // The client's own trace context is honoured: the request span joins it.
  const clientTrace = '0af7651916cd43dd8448eb211c80319c';
  const res = await stack.api('/pipelines', {
    method: 'POST',
    headers: { traceparent: `00-${clientTrace}-b7ad6b7169203331-01` },
    body: JSON.stringify({
      pipeline_type: 'DataProcessing',
      config: { input_path: input, output_path: join(stack.dir, 'out.txt') },
      priority: 'Normal',
    }),
  });
  assert.equal(res.status, 201);
  const { id, job_name } = (await res.json()) as { id: string; job_name: string };

  const trace = (): ReceivedSpan[] => receiver.spans.filter((s) => s.traceId === clientTrace);
  const has = (service: string, name: RegExp) =>
    trace().some((s) => s.service === service && name.test(s.name));
  const expected: [string, RegExp][] = [
    ['gateway', /^POST \/pipelines$/],
    ['scheduler', /^process .*cmd\.pipeline\.queued$/],
    ['job-runner', /^process .*cmd\.job\.create$/],
    ['job-runner', /^create Job$/],
    ['watcher', /^transition Running$/],
    ['watcher', /^transition Succeeded$/],
    ['log-collector', /^process .*evt\.pipeline\.finished$/],
    ['job-runner', /^process .*cmd\.job\.delete$/],
    ['job-runner', /^delete Job$/],
  ];
  // Every span hangs off another span of the same trace (or the client's): no orphans, no second
  // root. Spans are exported in batches as they end (children before parents), so wait for both.
  const orphans = () => {
    const spans = trace();
    const ids = new Set(spans.map((s) => s.spanId));
    return spans.filter((s) => s.parentSpanId !== 'b7ad6b7169203331' && !ids.has(s.parentSpanId));
  };
  await waitFor(
    'every step of the pipeline in its trace, each span under its parent',
    async () =>
      expected.every(([svc, name]) => has(svc, name)) && orphans().length === 0 ? true : undefined,
    60_000,
  ).catch((err) => {
    const seen = trace().map((s) => `${s.service}: ${s.name}`);
    const lost = orphans().map((s) => `${s.service}: ${s.name}`);
    throw new Error(
      `${(err as Error).message}\nspans in the trace:\n${seen.join('\n')}\norphans:\n${lost.join('\n')}`,
    );
  });

  // The workload joins the trace too: the Job's annotation (for the watcher) and the container's env.
  watch.abort();
  const job = created.find((j) => j.metadata?.name === job_name);
  assert.ok(job, 'the Job was seen');
  const traceparent = job.metadata?.annotations?.['pipeline-operator.io/traceparent'] ?? '';
  assert.match(traceparent, new RegExp(`^00-${clientTrace}-[0-9a-f]{16}-01$`));
  const env = job.spec?.template.spec?.containers[0]?.env ?? [];
  assert.equal(env.find((e) => e.name === 'TRACEPARENT')?.value, traceparent);
  assert.equal(env.find((e) => e.name === 'PIPELINE_ID')?.value, id);
});

// ---------------------------------------------------------------------------------------------------
// One trace per pipeline, whatever happens to it: success, failure, timeout, cancel, restart.

interface Detail {
  id: string;
  status: string;
  reason: string | null;
  attempt: number;
  job_name: string;
  trace_id: string | null;
  trace_url?: string;
}

const detailOf = async (id: string): Promise<Detail> =>
  (await (await stack.api(`/pipelines/${id}`)).json()) as Detail;

test('every pipeline is one trace — its cancel and restart requests link to it — with errors where it failed', async () => {
  await registerGatedTemplate(stack);
  const input = join(stack.dir, 'in-lifecycle.txt');
  writeFileSync(input, 'x\n');
  const dataProcessing = (path: string) =>
    submit(stack, {
      pipeline_type: 'DataProcessing',
      config: { input_path: path, output_path: join(stack.dir, `out-${path.length}-${Math.random()}.txt`) },
      priority: 'Normal',
    });
  const success = await dataProcessing(input);
  const failure = await dataProcessing(join(stack.dir, 'no-such-input.txt'));
  const restarted = await dataProcessing(join(stack.dir, 'no-such-input-either.txt'));
  const timeout = await submitGated(stack, join(stack.dir, 'gate-never-opened'), { timeoutSeconds: 3 });
  const cancelled = await submitGated(stack, join(stack.dir, 'gate-cancel-never-opened'));

  await waitFor('the gated pipeline to run', async () =>
    (await statusOf(stack, cancelled.id)).status === 'Running' ? true : undefined,
  );
  const cancel = await stack.api(`/pipelines/${cancelled.id}/cancel`, { method: 'POST' });
  assert.equal(cancel.status, 200, await cancel.clone().text());
  assert.equal((await settled(stack, restarted.id)).status, 'Failed');
  const restart = await stack.api(`/pipelines/${restarted.id}/restart`, { method: 'POST' });
  assert.equal(restart.status, 200, await restart.clone().text());
  await waitFor('the restarted pipeline to fail again', async () => {
    const s = await statusOf(stack, restarted.id);
    return s.attempt === 2 && s.status === 'Failed' ? true : undefined;
  });

  const expected: [Created, string][] = [
    [success, 'Succeeded'],
    [failure, 'Failed'],
    [timeout, 'Timeout'],
    [cancelled, 'Cancelled'],
    [restarted, 'Failed'],
  ];
  for (const [p, status] of expected) assert.equal((await settled(stack, p.id)).status, status, p.id);
  for (const [p] of expected) await jobGone(stack, p.job_name);
  const traces = new Map<string, string>();
  for (const [p] of expected) {
    const d = await detailOf(p.id);
    assert.match(d.trace_id ?? '', /^[0-9a-f]{32}$/);
    assert.equal(d.trace_url, `${TRACE_UI}/trace/${d.trace_id}`);
    traces.set(p.id, d.trace_id ?? '');
  }

  const inTrace = (id: string) => receiver.spans.filter((s) => s.traceId === traces.get(id));
  const lifecycle: [string, RegExp][] = [
    ['gateway', /^POST \/pipelines$/],
    ['scheduler', /^admit pipeline$/],
    ['scheduler', /^process .*\.cmd\.pipeline\.queued$/],
    ['job-runner', /^create Job$/],
    ['watcher', /^transition (Succeeded|Failed|Timeout|Cancelled)$/],
    ['log-collector', /^process .*\.evt\.pipeline\.finished$/],
    ['job-runner', /^delete Job$/],
  ];
  const tailsOf = (id: string) =>
    receiver.spans.filter(
      (s) =>
        s.service === 'log-collector' &&
        String(s.attributes['url.full'] ?? '').includes(`follow=true`) &&
        s.attributes['po.pipeline.id'] === id,
    );
  // A workload that runs for seconds is tailed live (a quick one may end before the tail attaches).
  const tailed = (id: string) => id === timeout.id || id === cancelled.id;
  const complete = (id: string) => {
    const t = inTrace(id);
    const { roots, dangling } = shapeOf(t);
    const has = ([svc, name]: [string, RegExp]) => t.some((s) => s.service === svc && name.test(s.name));
    // A cancel is written by the gateway, not the watcher.
    const steps = id === cancelled.id ? lifecycle.filter(([svc]) => svc !== 'watcher') : lifecycle;
    // A live tail's span ends with its stream, when the pod is gone — after the Job's deletion for a
    // cancelled pipeline, whose pod still runs while its logs are captured — and is exported after.
    const tail = !tailed(id) || tailsOf(id).length > 0;
    return steps.every(has) && tail && roots.length === 1 && dangling.length === 0;
  };
  await waitFor(
    "each pipeline's whole lifecycle in its trace, every span under its parent",
    async () => (expected.every(([p]) => complete(p.id)) ? true : undefined),
    60_000,
  ).catch((err) => {
    const report = expected
      .filter(([p]) => !complete(p.id))
      .map(([p, status]) => `${status} ${p.id}:\n${describeSpans(inTrace(p.id))}`);
    throw new Error(`${(err as Error).message}\n${report.join('\n')}`);
  });

  for (const [p, status] of expected) {
    const trace = inTrace(p.id);
    const traceId = traces.get(p.id);
    const { roots, services } = shapeOf(trace);
    const label = `${status} pipeline ${p.id}`;
    // Exactly one trace holds the lifecycle: every span about the pipeline (reads and the cancel or
    // restart request aside) is in the trace the API names.
    const elsewhere = lifecycleSpans(receiver.spans, p.id).filter((s) => s.traceId !== traceId);
    assert.deepEqual(
      elsewhere.map((s) => `${s.service}: ${s.name}`),
      [],
      `${label}: spans outside its trace`,
    );
    assert.equal(roots[0]?.name, 'POST /pipelines', label);
    assert.deepEqual(
      [...services].sort(),
      ['gateway', 'job-runner', 'log-collector', 'scheduler', 'watcher'],
      `${label}: services in the trace`,
    );
    assert.ok(
      trace.some(
        (s) => s.attributes['db.system.name'] === 'postgresql' || s.attributes['db.system'] === 'postgresql',
      ),
      `${label}: database spans`,
    );
    const deletes = trace.filter((s) => s.name === 'delete Job');
    assert.ok(deletes.length > 0, `${label}: the Job-delete span`);
    for (const d of deletes) {
      assert.equal(d.attributes['k8s.namespace.name'], NAMESPACE);
      assert.match(String(d.attributes['k8s.job.name']), /^pipeline-/);
      assert.equal(d.attributes['po.pipeline.id'], p.id);
      assert.equal(d.attributes['po.tenant'], 'default');
    }
    // The Kubernetes client's own DELETE request: HTTP client conventions plus the object it names.
    assert.ok(
      trace.some(
        (s) =>
          s.service === 'job-runner' &&
          s.name === 'DELETE' &&
          s.attributes['k8s.namespace.name'] === NAMESPACE &&
          s.attributes['k8s.job.name'] === deletes[0]?.attributes['k8s.job.name'],
      ),
      `${label}: the Kubernetes DELETE request span`,
    );
    // The live log tail is a child of the attempt's span (the Job's create), not a root of its own.
    const creates = new Set(trace.filter((s) => s.name === 'create Job').map((s) => s.spanId));
    const tails = tailsOf(p.id);
    if (tailed(p.id)) assert.ok(tails.length > 0, `${label}: a live tail span`);
    for (const tail of tails)
      assert.ok(creates.has(tail.parentSpanId), `${label}: live tail under the create Job span`);
    const errors = trace.filter((s) => s.status.code === 2 && /^transition |^queue timeout$/.test(s.name));
    if (status === 'Failed' || status === 'Timeout') {
      const { reason } = await detailOf(p.id);
      assert.ok(
        errors.some((s) => s.name === `transition ${status}` && s.status.message === reason),
        `${label}: the span that ended it is an error with the reason (${reason})`,
      );
    } else {
      assert.deepEqual(
        errors.map((s) => s.name),
        [],
        `${label}: no error`,
      );
    }
  }

  // The restart's new attempt continues the same trace.
  assert.ok(inTrace(restarted.id).some((s) => s.name === 'create Job' && s.attributes['po.attempt'] === 2));
  // The cancel and restart requests are short traces of their own, linked to the pipeline's.
  for (const [p, route] of [
    [cancelled, '/pipelines/:id/cancel'],
    [restarted, '/pipelines/:id/restart'],
  ] as const) {
    const request = receiver.spans.find(
      (s) => s.service === 'gateway' && s.attributes['http.route'] === route,
    );
    assert.ok(request, `the ${route} request span`);
    assert.notEqual(request.traceId, traces.get(p.id));
    assert.ok(
      request.links.some((l) => l.traceId === traces.get(p.id)),
      `${route}: links to the pipeline's trace`,
    );
    assert.equal(request.attributes['url.path'], `/pipelines/${p.id}/${route.split('/').at(-1)}`);
    assert.equal(request.attributes['url.full'], undefined);
  }
  // Span names are low-cardinality: no pipeline id (or any uuid) in any of them.
  assert.deepEqual(
    [...new Set(receiver.spans.filter((s) => hasUuid(s.name)).map((s) => `${s.service}: ${s.name}`))],
    [],
  );
});

test("a 4xx answer is the client's error, not the server's: its span is not marked as an error", async () => {
  const res = await stack.api('/pipelines/00000000-0000-4000-8000-000000000000');
  assert.equal(res.status, 404);
  const span = await waitFor('the 404 request span', async () =>
    receiver.spans.find(
      (s) =>
        s.service === 'gateway' &&
        s.attributes['url.path'] === '/pipelines/00000000-0000-4000-8000-000000000000',
    ),
  );
  assert.equal(span.name, 'GET /pipelines/:id');
  assert.equal(span.attributes['http.response.status_code'], 404);
  assert.equal(span.attributes['http.route'], '/pipelines/:id');
  assert.notEqual(span.status.code, 2);
});
