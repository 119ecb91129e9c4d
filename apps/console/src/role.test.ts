import assert from 'node:assert/strict';
import { test } from 'node:test';
import { atLeast, roleFromForbidden } from './role.ts';

test("the role named in the API's 403, and what each role may do", () => {
  assert.equal(roleFromForbidden('role viewer may not do this (needs admin)'), 'viewer');
  assert.equal(roleFromForbidden('role submitter may not do this (needs admin)'), 'submitter');
  assert.equal(roleFromForbidden('Forbidden'), 'viewer');
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
