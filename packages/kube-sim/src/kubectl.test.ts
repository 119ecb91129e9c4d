// kubectl (v1.32) as an independent client: create -f, get, describe, logs, wait, delete.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type KubeSim, startKubeSim } from './index.ts';
import { uniq, waitFor } from './test-helpers.ts';

const run = promisify(execFile);
let sim: KubeSim;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
  sim = await startKubeSim({ kubeconfigPath: join(dir, 'kubeconfig') });
});
after(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), ...args], {
    timeout: 60_000,
  });
  return stdout;
}

async function kubectlFails(...args: string[]): Promise<string> {
  try {
    await kubectl(...args);
  } catch (e) {
    return String((e as { stderr?: string }).stderr);
  }
  assert.fail('expected kubectl to fail');
}

test('kubectl create -f, wait --for=condition=complete, get, logs, describe, delete', async () => {
  const name = uniq('kctl');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  labels: { suite: kubectl }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: ["sh", "-c", "echo hello from $HOSTNAME"]
`,
  );
  assert.equal((await kubectl('create', '-f', file)).trim(), `job.batch/${name} created`);
  assert.match(
    await kubectl('wait', '--for=condition=complete', `job/${name}`, '--timeout=30s'),
    /condition met/,
  );

  const table = await kubectl('get', 'jobs', '-l', 'suite=kubectl');
  const [header, row] = table.trim().split('\n');
  assert.match(String(header), /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
  assert.match(String(row), new RegExp(`^${name}\\s+Complete\\s+1/1\\s+`));

  const jobJson = JSON.parse(await kubectl('get', 'job', name, '-o', 'json'));
  assert.equal(jobJson.status.succeeded, 1);
  assert.equal(jobJson.kind, 'Job');

  const pods = await kubectl('get', 'pods', '-l', `job-name=${name}`, '--no-headers');
  assert.match(pods, new RegExp(`^${name}-[a-z0-9]{5}\\s+0/1\\s+Completed\\s+0\\s+`));

  assert.match(await kubectl('logs', `job/${name}`), new RegExp(`^hello from ${name}-[a-z0-9]{5}\\n$`));

  const desc = await kubectl('describe', 'job', name);
  assert.match(desc, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
  assert.match(desc, /SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: /);
  assert.match(desc, /Completed\s+\S+\s+job-controller\s+Job completed/);

  assert.match(await kubectl('delete', 'job', name), new RegExp(`job.batch "${name}" deleted`));
  // kubectl's default cascade is background: the pod goes too.
  for (let i = 0; i < 200; i++) {
    if ((await kubectl('get', 'pods', '-l', `job-name=${name}`, '-o', 'name')).trim() === '') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await kubectl('get', 'pods', '-l', `job-name=${name}`, '-o', 'name')).trim(), '');
  assert.match(
    await kubectlFails('get', 'job', name),
    new RegExp(`Error from server \\(NotFound\\): jobs.batch "${name}" not found`),
  );
});

test('kubectl reports server-side validation errors and namespaces', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    `apiVersion: batch/v1
kind: Job
metadata: { name: bad-job }
spec:
  template:
    spec:
      containers: [{ name: main, image: busybox }]
`,
  );
  const err = await kubectlFails('create', '-f', file);
  assert.match(
    err,
    /spec\.template\.spec\.restartPolicy: Required value: valid values: "OnFailure", "Never"/,
  );
  assert.match(await kubectl('get', 'namespaces'), /pipelines\s+Active/);
  assert.match(await kubectl('create', 'namespace', 'kubectl-ns'), /namespace\/kubectl-ns created/);
  assert.match(await kubectl('api-resources', '--api-group=batch'), /jobs\s+batch\/v1\s+true\s+Job/);
});

test('kubectl get pods: STATUS Init:0/1 while the init container runs, Init:Error when it failed', async () => {
  const name = uniq('kctl-init');
  const gate = join(dir, `${name}.gate`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  restartPolicy: Never
  initContainers:
  - name: wait
    image: busybox:1.36
    command: ["sh", "-c", "while [ ! -e ${gate} ]; do sleep 0.02; done; exit 2"]
  containers:
  - name: main
    image: busybox:1.36
    command: ["true"]
`,
  );
  await kubectl('create', '-f', file);
  const row = () => kubectl('get', 'pod', name, '--no-headers');
  assert.match(
    await waitFor('initialising', async () => {
      const r = await row();
      return /Init:0\/1/.test(r) ? r : undefined;
    }),
    new RegExp(`^${name}\\s+0/1\\s+Init:0/1\\s+0\\s+`),
  );
  writeFileSync(gate, '');
  assert.match(
    await waitFor('init failed', async () => {
      const r = await row();
      return /Init:Error/.test(r) ? r : undefined;
    }),
    new RegExp(`^${name}\\s+0/1\\s+Init:Error\\s+0\\s+`),
  );
  assert.equal((await kubectl('get', 'pod', name, '-o', 'jsonpath={.status.phase}')).trim(), 'Failed');
  assert.equal(await kubectl('logs', name, '-c', 'wait'), '');
  await kubectl('delete', 'pod', name, '--wait=false');
});

test('kubectl create -f a Lease, get leases shows its holder, replace of a stale copy is a Conflict', async () => {
  const name = uniq('lease');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: ${name}
spec:
  holderIdentity: watcher-a
  leaseDurationSeconds: 15
  renewTime: "2026-01-02T03:04:05.000000Z"
`,
  );
  assert.equal((await kubectl('create', '-f', file)).trim(), `lease.coordination.k8s.io/${name} created`);
  const [header, row] = (await kubectl('get', 'leases')).trim().split('\n');
  assert.match(String(header), /^NAME\s+HOLDER\s+AGE$/);
  assert.match(String(row), new RegExp(`^${name}\\s+watcher-a\\s+\\d+s$`));

  const stale = JSON.parse(await kubectl('get', 'lease', name, '-o', 'json'));
  await kubectl('patch', 'lease', name, '--type=merge', '-p', '{"spec":{"holderIdentity":"watcher-b"}}');
  assert.equal(
    (await kubectl('get', 'lease', name, '-o', 'jsonpath={.spec.holderIdentity}')).trim(),
    'watcher-b',
  );
  stale.spec.holderIdentity = 'watcher-c';
  writeFileSync(file, JSON.stringify(stale));
  assert.match(
    await kubectlFails('replace', '-f', file),
    new RegExp(`Error from server \\(Conflict\\): .*"${name}": the object has been modified`),
  );
  await kubectl('delete', 'lease', name);
});

test('kubectl apply --server-side creates, then updates a Job; managedFields record kubectl; conflicts need --force-conflicts', async () => {
  const name = uniq('kctl-ssa');
  const file = join(dir, `${name}.yaml`);
  const manifest = (label: string, parallelism: number) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  labels: { tier: ${label} }
spec:
  suspend: true
  parallelism: ${parallelism}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: ["true"]
`;
  writeFileSync(file, manifest('one', 1));
  assert.equal(
    (await kubectl('apply', '--server-side', '-f', file)).trim(),
    `job.batch/${name} serverside-applied`,
  );
  // kubectl hides managedFields unless asked.
  const created = JSON.parse(await kubectl('get', 'job', name, '-o', 'json', '--show-managed-fields'));
  assert.equal(created.metadata.labels.tier, 'one');
  const applyEntry = created.metadata.managedFields.find((m: { manager: string }) => m.manager === 'kubectl');
  assert.equal(applyEntry.operation, 'Apply');
  assert.equal(applyEntry.apiVersion, 'batch/v1');
  assert.equal(applyEntry.fieldsType, 'FieldsV1');
  assert.deepEqual(applyEntry.fieldsV1['f:metadata'], { 'f:labels': { '.': {}, 'f:tier': {} } });
  assert.ok(applyEntry.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"main"}']);

  writeFileSync(file, manifest('two', 2));
  assert.equal(
    (await kubectl('apply', '--server-side', '-f', file)).trim(),
    `job.batch/${name} serverside-applied`,
  );
  const updated = JSON.parse(await kubectl('get', 'job', name, '-o', 'json'));
  assert.equal(updated.metadata.labels.tier, 'two');
  assert.equal(updated.spec.parallelism, 2);
  assert.equal(updated.metadata.uid, created.metadata.uid);

  // Another manager takes spec.parallelism; applying a different value is now a conflict.
  await kubectl('patch', 'job', name, '--type=merge', '-p', '{"spec":{"parallelism":3}}');
  writeFileSync(file, manifest('two', 1));
  const err = await kubectlFails('apply', '--server-side', '-f', file);
  assert.match(
    err,
    /Apply failed with 1 conflict: conflict with "kubectl-patch" using batch\/v1: \.spec\.parallelism/,
  );
  assert.match(
    await kubectl('apply', '--server-side', '--force-conflicts', '-f', file),
    /serverside-applied/,
  );
  const forced = JSON.parse(await kubectl('get', 'job', name, '-o', 'json', '--show-managed-fields'));
  assert.equal(forced.spec.parallelism, 1);
  const patchEntry = forced.metadata.managedFields.find(
    (m: { manager: string }) => m.manager === 'kubectl-patch',
  );
  assert.equal(patchEntry, undefined, 'the forced apply took the only field kubectl-patch owned');
  await kubectl('delete', 'job', name, '--cascade=background');
});

test('kubectl get -o yaml and a YAML body (create --raw) work against the YAML media type', async () => {
  const yaml = await kubectl('get', '--raw', '/api/v1/namespaces/default');
  assert.equal(JSON.parse(yaml).metadata.name, 'default');
  const body = join(dir, 'ns.yaml');
  writeFileSync(body, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n');
  await kubectl('create', '-f', body);
  assert.match(await kubectl('get', 'ns', 'from-yaml', '-o', 'yaml'), /name: from-yaml/);
});
