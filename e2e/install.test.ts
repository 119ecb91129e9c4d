/**
 * The install (infra/k8s): every kustomize overlay builds with `kubectl kustomize`, every object is
 * valid against the official Kubernetes schemas (kubernetes-models, offline), and each service runs
 * under its own ServiceAccount whose Role grants exactly the verbs in KUBE_ACCESS — the table the
 * services' own requests are checked against in e2e/metrics.test.ts — with no token where a service
 * makes no Kubernetes call.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KUBE_ACCESS } from '@po/kube';
import { createMetrics } from '@po/telemetry';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OVERLAYS = ['dev', 'prod'] as const;
const SERVICES = ['gateway', 'scheduler', 'job-runner', 'watcher', 'log-collector'] as const;
const NS = 'pipeline-operator';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  [k: string]: any;
}

function build(overlay: string): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', `infra/k8s/overlays/${overlay}`], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The kubernetes-models class for an object's apiVersion and kind: `apps/v1` → kubernetes-models/apps/v1. */
async function modelOf(o: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const mod = (await import(`kubernetes-models/${o.apiVersion}`)) as Record<string, unknown>;
  const model = mod[o.kind];
  assert.ok(typeof model === 'function', `no schema for ${o.apiVersion} ${o.kind}`);
  return model as new (
    data: unknown,
  ) => { validate(): void };
}

const find = (objs: K8sObject[], kind: string, name: string, namespace = NS) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? NS) === namespace);

const triples = (
  rules: readonly {
    group?: string;
    apiGroups?: string[];
    resource?: string;
    resources?: string[];
    verbs: readonly string[];
  }[],
) =>
  new Set(
    rules.flatMap((r) =>
      (r.apiGroups ?? [r.group ?? '']).flatMap((g) =>
        (r.resources ?? [r.resource ?? '']).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)),
      ),
    ),
  );

for (const overlay of OVERLAYS) {
  test(`overlay ${overlay}: builds, and every object is valid against the Kubernetes schemas`, async () => {
    const objs = build(overlay);
    assert.ok(objs.length > 20, `${objs.length} objects`);
    for (const o of objs) {
      const Model = await modelOf(o);
      assert.doesNotThrow(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`);
    }
    assert.deepEqual(
      objs
        .filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')
        .map((o) => o.metadata.name),
      [],
      'nothing cluster-wide',
    );
  });

  test(`overlay ${overlay}: each service has its own account, a Role of exactly its verbs, and no token if it makes no call`, () => {
    const objs = build(overlay);
    for (const svc of SERVICES) {
      const access = KUBE_ACCESS[svc] as readonly {
        group: string;
        resource: string;
        verbs: readonly string[];
      }[];
      const needsApi = access.length > 0;
      const sa = find(objs, 'ServiceAccount', svc);
      assert.ok(sa, `ServiceAccount ${svc}`);
      const deploy = find(objs, 'Deployment', svc);
      assert.ok(deploy, `Deployment ${svc}`);
      const pod = deploy.spec.template.spec;
      assert.equal(pod.serviceAccountName, svc, `${svc} runs as its own account`);
      assert.equal(
        pod.automountServiceAccountToken,
        needsApi,
        `${svc}: token mounted only if it calls the API`,
      );
      assert.equal(sa.automountServiceAccountToken, needsApi, `${svc}: account's automount`);
      // Every Role bound to the account, in any namespace: together they grant exactly the table's verbs.
      const bindings = objs.filter(
        (o) =>
          o.kind === 'RoleBinding' &&
          (o.subjects ?? []).some(
            (s: { kind: string; name: string; namespace?: string }) =>
              s.kind === 'ServiceAccount' && s.name === svc && s.namespace === NS,
          ),
      );
      const granted = bindings.flatMap((b) => {
        assert.equal(b.roleRef.kind, 'Role', `${svc}: bound to a namespaced Role`);
        const role = find(objs, 'Role', b.roleRef.name, b.metadata.namespace);
        assert.ok(role, `Role ${b.roleRef.name} in ${b.metadata.namespace}`);
        return role.rules;
      });
      assert.deepEqual(
        [...triples(granted)].sort(),
        [...triples(access)].sort(),
        `${svc}: Role = KUBE_ACCESS`,
      );
    }
  });

  test(`overlay ${overlay}: probes, resources, restricted security, migrations waited for, disruption budgets, default-deny`, () => {
    const objs = build(overlay);
    for (const svc of SERVICES) {
      const pod = find(objs, 'Deployment', svc)?.spec.template.spec;
      assert.ok(pod, svc);
      assert.equal(pod.securityContext.runAsNonRoot, true, svc);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', svc);
      assert.deepEqual(
        pod.initContainers.map((c: { args: string[] }) => c.args.join(' ')),
        ['packages/db/src/cli.ts wait'],
        `${svc} waits for the migrations`,
      );
      for (const c of [...pod.initContainers, ...pod.containers]) {
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${svc}/${c.name}`);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${svc}/${c.name}`);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], `${svc}/${c.name}`);
        assert.ok(c.resources.requests && c.resources.limits, `${svc}/${c.name} resources`);
      }
      const main = pod.containers[0];
      assert.deepEqual(
        [...main.command, ...main.args],
        ['sh', 'packages/runtime/src/run-service.sh', svc],
        `${svc} runs with its node flags (packages/runtime/src/node-flags.conf)`,
      );
      assert.ok(main.startupProbe && main.livenessProbe, `${svc} startup and liveness probes`);
      assert.equal(main.readinessProbe.httpGet.path, '/ready', `${svc} readiness is /ready`);
      assert.equal(main.readinessProbe.httpGet.port, 'ops', `${svc} probed on its ops port`);
      const pdb = find(objs, 'PodDisruptionBudget', svc);
      assert.deepEqual(pdb?.spec.selector.matchLabels, { 'app.kubernetes.io/name': svc }, `${svc} PDB`);
    }
    const deny = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny');
    assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const jobs = objs
      .filter((o) => o.kind === 'Job')
      .map((o) => o.spec.template.spec.containers[0].args.join(' '));
    assert.deepEqual(jobs.sort(), [
      'packages/db/src/cli.ts migrate',
      'packages/runtime/src/provision-cli.ts',
    ]);
    assert.ok(find(objs, 'StatefulSet', 'nats'), 'the NATS server');
    assert.ok(
      find(objs, 'ConfigMap', 'nats-config', NS) ??
        objs.some((o) => o.metadata.name.startsWith('nats-config-')),
    );
    if (overlay === 'dev') {
      for (const name of ['jaeger', 'prometheus', 'postgres'])
        assert.ok(find(objs, 'Deployment', name), name);
      const prom = objs.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('prometheus-config'),
      );
      assert.match(prom?.data['prometheus.yml'] ?? '', /job_name: pipeline-operator/);
      assert.match(prom?.data['alerts.yaml'] ?? '', /alert: PipelineQueueStuck/);
    }
  });
}

test('compose: Postgres and NATS healthy, then migrations and provisioning, then the workers, then the gateway', () => {
  const compose = parse(readFileSync(`${ROOT}/infra/compose.yaml`, 'utf8'), { merge: true }) as {
    services: Record<
      string,
      {
        command?: string[];
        entrypoint?: string[];
        depends_on?: Record<string, { condition: string }>;
        healthcheck?: unknown;
        environment?: Record<string, string>;
      }
    >;
  };
  const s = compose.services;
  assert.deepEqual(s.migrate?.command, ['packages/db/src/cli.ts', 'migrate']);
  assert.deepEqual(s.provision?.command, ['packages/runtime/src/provision-cli.ts']);
  assert.equal(s.provision?.environment?.NATS_USER, 'po-provisioner');
  for (const infra of ['postgres', 'nats']) assert.ok(s[infra]?.healthcheck, `${infra} healthcheck`);
  for (const svc of SERVICES) {
    const deps = s[svc]?.depends_on ?? {};
    assert.deepEqual(
      Object.fromEntries(['postgres', 'nats', 'migrate', 'provision'].map((d) => [d, deps[d]?.condition])),
      {
        postgres: 'service_healthy',
        nats: 'service_healthy',
        migrate: 'service_completed_successfully',
        provision: 'service_completed_successfully',
      },
      `${svc} starts after the setup`,
    );
    assert.ok(s[svc]?.healthcheck, `${svc} healthcheck (its /ready)`);
    assert.deepEqual(
      [...(s[svc]?.entrypoint ?? []), ...(s[svc]?.command ?? [])],
      ['sh', 'packages/runtime/src/run-service.sh', svc],
      `${svc} runs with its node flags (packages/runtime/src/node-flags.conf)`,
    );
    assert.equal(s[svc]?.environment?.NATS_USER, `po-${svc}`, `${svc} has its own NATS user`);
  }
  for (const worker of SERVICES.filter((x) => x !== 'gateway')) {
    assert.equal(s.gateway?.depends_on?.[worker]?.condition, 'service_healthy', `gateway after ${worker}`);
  }
});

test('the dashboard and the alert rules query only metrics the services define', async () => {
  const defined = new Set<string>();
  for (const pattern of ['apps/*/src/**/*.ts', 'packages/*/src/**/*.ts']) {
    for await (const file of glob(pattern, { cwd: ROOT })) {
      if (file.includes('node_modules') || file.endsWith('.test.ts')) continue;
      const text = readFileSync(`${ROOT}/${file}`, 'utf8');
      for (const m of text.matchAll(/\.(?:counter|histogram|gauge)\(\s*'([a-z0-9_]+)'/g))
        defined.add(`po_${m[1]}`);
      for (const m of text.matchAll(/name: '(po_[a-z0-9_]+)'/g)) defined.add(m[1] as string);
    }
  }
  // Process and runtime defaults, as the services register them.
  const { registry } = createMetrics({ service: 'probe' });
  for (const m of await registry.getMetricsAsJSON()) defined.add(m.name);
  assert.ok(defined.has('po_queue_depth') && defined.has('po_process_cpu_seconds_total'));

  const dashboard = JSON.parse(readFileSync(`${ROOT}/infra/grafana/pipeline-operator.json`, 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  const alerts = parse(readFileSync(`${ROOT}/infra/prometheus/alerts.yaml`, 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const queries = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const)),
    ...alerts.groups.flatMap((g) => g.rules.map((r) => [r.alert, r.expr] as const)),
  ];
  const alertNames = alerts.groups.flatMap((g) => g.rules.map((r) => r.alert));
  for (const a of [
    'PipelineQueueStuck',
    'KubernetesApiFailing',
    'NatsConsumerLag',
    'OutboxLag',
    'DeadLetters',
    'GatewayErrorRate',
  ]) {
    assert.ok(alertNames.includes(a), `alert ${a}`);
  }
  for (const [where, expr] of queries) {
    for (const [name] of expr.matchAll(/\bpo_[a-z0-9_]+/g)) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      assert.ok(defined.has(name) || defined.has(base), `${where}: ${name} is not defined by any service`);
    }
  }
});
