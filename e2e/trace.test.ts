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
import { type Stack, startStack, waitFor } from './fixture.ts';
import { type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.ts';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let stack: Stack;
before(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
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
    ['watcher', /^transition Running$/],
    ['watcher', /^transition Succeeded$/],
    ['log-collector', /^process .*evt\.pipeline\.finished$/],
    ['job-runner', /^process .*cmd\.job\.delete$/],
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
