import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plan, REPLICA_SERVICES, SCENARIOS } from './schedule.ts';

const OPTS = { pipelines: 300, windowMs: 60_000, replicas: 2, killsPerReplica: 2, faultsPerKind: 2 };

test('a seed replays the same plan; another seed draws another', () => {
  assert.deepEqual(plan(42, OPTS), plan(42, OPTS));
  assert.notDeepEqual(plan(42, OPTS).faults, plan(43, OPTS).faults);
});

test('every replica of every service is killed, every scenario and fault kind is drawn', () => {
  const p = plan(7, OPTS);
  assert.equal(p.pipelines.length, 300);
  for (const service of REPLICA_SERVICES)
    for (const replica of [0, 1]) {
      const kills = p.faults.filter(
        (f) => f.fault.kind === 'kill' && f.fault.service === service && f.fault.replica === replica,
      );
      assert.equal(kills.length, 2, `${service}#${replica}`);
    }
  for (const s of SCENARIOS)
    assert.ok(
      p.pipelines.some((x) => x.scenario === s),
      s,
    );
  const kinds = new Set(p.faults.map((f) => f.fault.kind));
  assert.deepEqual([...kinds].sort(), [
    'kill',
    'kube-errors',
    'kube-restart',
    'nats-restart',
    'pg-terminate',
    'watch-cut',
    'watch-gone',
  ]);
  assert.ok(
    p.faults.every((f, i) => i === 0 || (p.faults[i - 1]?.atMs ?? 0) <= f.atMs),
    'in time order',
  );
  assert.ok(p.pipelines.every((x) => x.atMs >= 0 && x.atMs <= OPTS.windowMs));
});
