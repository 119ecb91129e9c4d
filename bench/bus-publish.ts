/**
 * JetStream publish cost: the CPU one `publish` (@po/bus: a PRODUCER span, trace headers,
 * Nats-Msg-Id) takes in the publishing process — what the outbox relay pays per message — with
 * WINDOW publishes in flight, against the bench's own nats-server. The bus package and its NATS
 * client come from PO_SUT_ROOT when set (bench/lib/sut.ts), so bench/compare.sh can put two refs
 * side by side.
 * Run: pnpm exec node bench/bus-publish.ts [--count 20000] [--window 64] [--warmup 2000]
 * Prints one `BENCH_JSON {...}` line last.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type * as Jetstream from '@nats-io/jetstream';
import { printBenchJson } from './lib/bench-json.ts';
import { startBenchNats } from './lib/nats-server.ts';
import { bus, importFromSut } from './lib/sut.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    window: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '2000' },
  },
});
const count = Number(values.count);
const window = Number(values.window);
const warmup = Number(values.warmup);
const load1m = loadavg()[0] ?? Number.NaN;

const { jetstream, jetstreamManager } = await importFromSut<typeof Jetstream>(
  'packages/bus',
  '@nats-io/jetstream',
);
const nats = await startBenchNats();
const nc = await bus.connectNats({ servers: nats.url, name: 'bench-bus-publish' });
try {
  await (await jetstreamManager(nc)).streams.add({ name: 'BENCH', subjects: ['bench.>'] });
  const js = jetstream(nc);
  let next = 0;
  /** Publishes ids [from, to) with `window` in flight. */
  const publishAll = async (to: number) => {
    const worker = async () => {
      while (next < to) {
        const id = next++;
        // A status change: the message the relay publishes most.
        await bus.publish(js, 'bench.publish', {
          id: `m-${id}`,
          type: 'pipeline.status',
          version: 1,
          occurredAt: new Date().toISOString(),
          pipelineId: '00000000-0000-4000-8000-000000000000',
          attempt: 1,
          data: { from: 'Queued', to: 'Running', reason: null },
        });
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
  };
  await publishAll(warmup);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await publishAll(warmup + count);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    cpuUsPerPublish: (cpu.user + cpu.system) / count,
    userUsPerPublish: cpu.user / count,
    publishesPerSecond: count / seconds,
  };
  console.log(
    `${count} publishes, ${window} in flight: ${result.cpuUsPerPublish.toFixed(1)} µs CPU each, ` +
      `${result.publishesPerSecond.toFixed(0)}/s (load ${load1m.toFixed(2)})`,
  );
  printBenchJson({ bench: 'bus-publish', metrics: result, details: { count, window, warmup, load1m } });
} finally {
  await nc.close();
  await nats.stop();
}
