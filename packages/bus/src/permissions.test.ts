import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { subjects } from '@po/contracts';
import { passwordEnvName, renderNatsAuth } from './nats-auth.ts';
import { SERVICE_ROLES, servicePermissions, tenantPermissions } from './permissions.ts';

test("a tenant's NATS user names only its own subjects, and no wildcard that could reach another's", () => {
  const p = tenantPermissions('po', 'acme');
  const s = subjects('po');
  assert.deepEqual(p.publish, [
    s.submit('acme'),
    s.api('create', 'acme'),
    s.api('get', 'acme'),
    s.api('cancel', 'acme'),
  ]);
  assert.deepEqual(p.subscribe, ['po.evt.status.acme.*', 'po.inbox.acme.>']);
  for (const subject of [...p.publish, ...p.subscribe]) assert.match(subject, /\.acme(\.|$)/);
  assert.equal(p.allowResponses, undefined);
});

test('only the gateway answers requests; only the provisioner touches stream configuration', () => {
  const all = servicePermissions('po');
  for (const role of SERVICE_ROLES) {
    const p = all[role];
    assert.equal(p.allowResponses === true, role === 'gateway', role);
    const admin = p.publish.filter((x) => /^\$JS\.API\.(STREAM|CONSUMER)\.\*/.test(x));
    assert.equal(admin.length > 0, role === 'provisioner', role);
    // Nobody but the operator may publish or read everything.
    assert.ok(!p.publish.includes('>') && !p.subscribe.includes('>'), role);
    assert.ok(!p.subscribe.some((x) => x === '_INBOX.>'), role);
  }
  // No service subscribes to a tenant's inbox or publishes on a tenant's submit subject.
  for (const role of SERVICE_ROLES) {
    assert.ok(!all[role].publish.some((x) => x.includes('.intake.')), role);
    assert.ok(!all[role].subscribe.some((x) => x.includes('.inbox.')), role);
  }
});

test('infra/nats/auth.conf is the rendering for prefix po (re-render it with scripts/nats-auth.ts)', () => {
  const file = readFileSync(new URL('../../../infra/nats/auth.conf', import.meta.url), 'utf8');
  const rendered = renderNatsAuth({
    prefix: 'po',
    password: (who) => ({ env: passwordEnvName(who) }),
    operator: { env: 'PO_NATS_PASSWORD_OPERATOR' },
  });
  assert.equal(file, rendered);
  assert.ok(!/password: "/.test(file), 'no literal password in infra');
});
