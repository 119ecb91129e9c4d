// The kubelet as a hostile workload meets it: it runs as its securityContext says (and refuses
// runAsNonRoot with a root user), in a directory of its own; its log is bounded by rotation; and a
// U+2028 anywhere in an object reaches client-node's watch intact (escaped as Go's JSON does).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from './index.ts';
import { escapeLineTerminators } from './json.ts';
import { ContainerLog } from './logs.ts';
import { resolveRunAs } from './security-context.ts';
import { clients, jobBody, uniq, waitFor } from './test-helpers.ts';
import type { Pod } from './types.ts';

const NS = 'pipelines';
const isRoot = process.getuid?.() === 0;

function podWith(podSc: Record<string, unknown> | undefined, sc: Record<string, unknown> | undefined): Pod {
  return {
    metadata: { name: 'p', namespace: NS, uid: 'u-1' },
    spec: {
      ...(podSc ? { securityContext: podSc } : {}),
      containers: [{ name: 'main', ...(sc ? { securityContext: sc } : {}) }],
    },
  } as Pod;
}

describe('resolveRunAs', () => {
  const table: [string, Record<string, unknown> | undefined, Record<string, unknown> | undefined, unknown][] =
    [
      ['no securityContext: the image user (root)', undefined, undefined, { uid: 0, gid: 0 }],
      ['pod level', { runAsUser: 1000, runAsGroup: 2000 }, undefined, { uid: 1000, gid: 2000 }],
      [
        'the container wins',
        { runAsUser: 1000, runAsGroup: 2000 },
        { runAsUser: 3000 },
        { uid: 3000, gid: 2000 },
      ],
      ['runAsUser without a group: group 0', undefined, { runAsUser: 1234 }, { uid: 1234, gid: 0 }],
      [
        'runAsNonRoot, no uid: the non-root user',
        { runAsNonRoot: true },
        undefined,
        { uid: 65532, gid: 65532 },
      ],
      ['runAsNonRoot with a uid', undefined, { runAsNonRoot: true, runAsUser: 42 }, { uid: 42, gid: 0 }],
      [
        'runAsNonRoot with uid 0: refused',
        { runAsUser: 0 },
        { runAsNonRoot: true },
        { error: `container's runAsUser breaks non-root policy (pod: "p_pipelines(u-1)", container: main)` },
      ],
      [
        'container says root is fine',
        { runAsNonRoot: true },
        { runAsNonRoot: false, runAsUser: 0 },
        { uid: 0, gid: 0 },
      ],
    ];
  for (const [name, podSc, sc, want] of table) {
    test(name, () => {
      const pod = podWith(podSc, sc);
      assert.deepEqual(resolveRunAs(pod, pod.spec.containers[0] ?? { name: 'main' }), want);
    });
  }
});

describe('kubelet and a hostile workload', () => {
  let sim: KubeSim;
  let kc: k8s.KubeConfig;
  let batch: k8s.BatchV1Api;
  let core: k8s.CoreV1Api;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-safety-'));
    sim = await startKubeSim({ workDir: dir });
    ({ kc, batch, core } = clients(sim));
  });
  after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function podOf(job: string): Promise<k8s.V1Pod> {
    return waitFor(
      'pod',
      async () =>
        (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${job}` })).items[0],
    );
  }

  /** Runs a Job to its end and returns its pod's log. */
  async function runToEnd(
    name: string,
    script: string,
    podSpec: Record<string, unknown> = {},
    container: Record<string, unknown> = {},
  ): Promise<string> {
    const body = jobBody(name, ['sh', '-c', script]);
    const tpl = body.spec.template.spec;
    Object.assign(tpl, podSpec);
    tpl.containers = [{ ...(tpl.containers[0] ?? { name: 'main' }), ...container }];
    await batch.createNamespacedJob({ namespace: NS, body: body as k8s.V1Job });
    const pod = await podOf(name);
    const podName = pod.metadata?.name ?? '';
    await waitFor('container to end', async () => {
      const p = await core.readNamespacedPod({ name: podName, namespace: NS });
      return p.status?.containerStatuses?.[0]?.state?.terminated ? true : undefined;
    });
    return core.readNamespacedPodLog({ name: podName, namespace: NS });
  }

  test('runs as runAsUser/runAsGroup (the container wins) in a directory of its own', async () => {
    const log = await runToEnd(
      uniq('runas'),
      'id -u; id -g; pwd; stat -c %u "$PWD"; echo "$HOME"',
      { securityContext: { runAsUser: 1001, runAsGroup: 2002 } },
      { securityContext: { runAsUser: 3003 } },
    );
    const [uid, gid, cwd, owner, home] = log.trim().split('\n');
    // Only root can run a process as another user: otherwise it runs as kube-sim's own.
    assert.equal(uid, String(isRoot ? 3003 : process.getuid?.()));
    assert.equal(gid, String(isRoot ? 2002 : process.getgid?.()));
    assert.equal(owner, uid, 'the working directory belongs to the workload');
    assert.ok(cwd?.startsWith(dir) && cwd !== dir, cwd);
    assert.equal(home, cwd);
  });

  test('runAsNonRoot with no uid runs as the non-root user and cannot read root-only files', async () => {
    const log = await runToEnd(
      uniq('shadow'),
      'id -u; cat /etc/shadow > copy 2>&1; echo "exit $?"; head -c 200 copy',
      { securityContext: { runAsNonRoot: true } },
    );
    const [uid, exit, ...rest] = log.trim().split('\n');
    assert.equal(uid, String(isRoot ? 65532 : process.getuid?.()));
    assert.notEqual(uid, '0', 'never root');
    assert.equal(exit, 'exit 1');
    assert.match(rest.join('\n'), /Permission denied/);
  });

  test('runAsNonRoot with runAsUser 0: CreateContainerConfigError, nothing runs', async () => {
    const name = uniq('nonroot-0');
    const marker = join(dir, `${name}.ran`);
    const body = jobBody(name, ['sh', '-c', `touch ${marker}`]);
    body.spec.template.spec.securityContext = { runAsNonRoot: true, runAsUser: 0 };
    await batch.createNamespacedJob({ namespace: NS, body: body as k8s.V1Job });
    const pod = await podOf(name);
    const podName = pod.metadata?.name ?? '';
    const waiting = await waitFor('config error', async () => {
      const p = await core.readNamespacedPod({ name: podName, namespace: NS });
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? { w, p } : undefined;
    });
    assert.equal(
      waiting.w.message,
      `container's runAsUser breaks non-root policy (pod: "${podName}_${NS}(${pod.metadata?.uid})", container: main)`,
    );
    assert.equal(waiting.p.status?.phase, 'Pending');
    const events = await core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${podName}`,
    });
    assert.ok(
      events.items.some((e) => e.reason === 'Failed' && e.message === `Error: ${waiting.w.message}`),
      JSON.stringify(events.items.map((e) => e.message)),
    );
    await assert.rejects(import('node:fs/promises').then((fs) => fs.stat(marker)));
    await batch.deleteNamespacedJob({ name, namespace: NS, propagationPolicy: 'Background' });
    await waitFor('pod gone', async () => {
      const left = await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` });
      return left.items.length === 0 ? true : undefined;
    });
  });

  test('a 30 MB output: the log is rotated at 10 MiB and the current file is what is served', async () => {
    const name = uniq('bigout');
    // 30 MB of numbered 100-byte lines.
    const log = await runToEnd(
      name,
      `python3 -c 'import sys
w = sys.stdout.write
for i in range(300000):
    w(f"{i:09d} " + "x" * 89 + "\\n")'`,
    );
    const bytes = Buffer.byteLength(log);
    assert.ok(bytes > 0 && bytes <= 10 * 1024 * 1024, `served ${bytes} bytes`);
    const lines = log.split('\n');
    assert.equal(lines.pop(), '');
    // The newest lines, contiguous up to the last one printed.
    assert.equal(lines.at(-1)?.slice(0, 9), '000299999');
    const first = Number(lines[0]?.slice(0, 9));
    assert.equal(lines.length, 300000 - first);
  });

  test('a U+2028 in an env value reaches a client-node informer (escaped as the API server does)', async () => {
    const name = uniq('u2028');
    const value = 'a\u2028b\u2029c';
    const informer = k8s.makeInformer(kc, `/apis/batch/v1/namespaces/${NS}/jobs`, () =>
      batch.listNamespacedJob({ namespace: NS }),
    );
    const seen: k8s.V1Job[] = [];
    informer.on('add', (j) => seen.push(j));
    informer.on('update', (j) => seen.push(j));
    await informer.start();
    try {
      const body = jobBody(name, ['sh', '-c', 'printf "%s" "$V"']);
      const c = body.spec.template.spec.containers[0];
      if (c) c.env = [{ name: 'V', value }];
      await batch.createNamespacedJob({ namespace: NS, body: body as k8s.V1Job });
      const job = await waitFor('the informer to see the Job complete', async () =>
        seen.find(
          (j) =>
            j.metadata?.name === name &&
            j.status?.conditions?.some((cd) => cd.type === 'Complete' && cd.status === 'True'),
        ),
      );
      assert.equal(job.spec?.template.spec?.containers[0]?.env?.[0]?.value, value);
      const raw = await fetch(`${sim.url}/apis/batch/v1/namespaces/${NS}/jobs/${name}`);
      const text = await raw.text();
      assert.ok(!/[\u2028\u2029]/.test(text) && text.includes('a\\u2028b\\u2029c'), text);
      const pod = await podOf(name);
      assert.equal(await core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: NS }), value);
    } finally {
      await informer.stop();
    }
  });
});

describe('ContainerLog rotation', () => {
  test('rotates before passing the max size and serves only the current file', () => {
    const log = new ContainerLog(1000);
    for (let i = 0; i < 100; i++) log.write(`line ${i}\n`);
    assert.ok(log.rotations > 0);
    assert.ok(log.bytes <= 1000, String(log.bytes));
    assert.equal(log.lines.at(-1)?.text, 'line 99');
    const firstKept = Number(log.lines[0]?.text.slice(5));
    assert.deepEqual(
      log.lines.map((l) => l.text),
      Array.from({ length: 100 - firstKept }, (_, i) => `line ${firstKept + i}`),
    );
  });

  test('an endless line becomes 16 KiB partial records, not one unbounded string', () => {
    const log = new ContainerLog(1 << 20);
    const chunk = 'y'.repeat(4096);
    for (let i = 0; i < 64; i++) log.write(chunk);
    log.write('\n');
    assert.ok(log.lines.length >= 15, String(log.lines.length));
    assert.ok(log.lines.every((l) => Buffer.byteLength(l.text) <= 16 * 1024 + 4096));
    assert.equal(log.lines.map((l) => l.text).join(''), chunk.repeat(64));
    assert.equal(log.lines.at(-1)?.nl, true);
  });
});

test('escapeLineTerminators', () => {
  assert.equal(escapeLineTerminators(JSON.stringify({ a: 'x\u2028y\u2029' })), '{"a":"x\\u2028y\\u2029"}');
  assert.deepEqual(JSON.parse(escapeLineTerminators(JSON.stringify({ a: '\u2028' }))), { a: '\u2028' });
});
