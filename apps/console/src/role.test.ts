import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atLeast, identityOf } from './role.ts';

test("the identity in GET /whoami's answer; an unknown role shows as the least one", () => {
  const answer = (role: string) => ({ tenant_id: 'acme', role, key_id: 'k1', key_name: 'ci' });
  assert.deepEqual(
    ['viewer', 'submitter', 'admin', 'owner', 'toString', ''].map((r) => identityOf(answer(r))),
    [
      { tenant: 'acme', role: 'viewer' },
      { tenant: 'acme', role: 'submitter' },
      { tenant: 'acme', role: 'admin' },
      { tenant: 'acme', role: 'viewer' },
      { tenant: 'acme', role: 'viewer' },
      { tenant: 'acme', role: 'viewer' },
    ],
  );
});

test('what each role may do', () => {
  const submitter = { tenant: 't', role: 'submitter' as const };
  assert.deepEqual(
    [
      atLeast(submitter, 'viewer'),
      atLeast(submitter, 'submitter'),
      atLeast(submitter, 'admin'),
      atLeast(null, 'viewer'),
    ],
    [true, true, false, false],
  );
});
