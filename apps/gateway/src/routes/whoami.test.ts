import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorBody } from '@po/contracts';
import { createHarness, type Harness, json } from '../testing/harness.ts';

interface WhoAmI {
  tenant_id: string;
  role: string;
  key_id: string | null;
  key_name: string;
}

describe('GET /whoami', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  const keyId = async (name: string) =>
    (await h.deps.db.selectFrom('api_keys').select('id').where('name', '=', name).executeTakeFirstOrThrow())
      .id;

  test('every role learns its tenant, role and key, and nothing is audited (it is a read)', async () => {
    for (const role of ['viewer', 'submitter', 'admin'] as const) {
      const key = await h.key('whoami-t', role);
      const res = await h.req('GET', '/whoami', undefined, {
        authorization: `Bearer ${key}`,
        'x-request-id': `whoami-${role}`,
      });
      assert.equal(res.status, 200, role);
      assert.deepEqual(await json<WhoAmI>(res), {
        tenant_id: 'whoami-t',
        role,
        key_id: await keyId(`whoami-t-${role}`),
        key_name: `whoami-t-${role}`,
      });
    }
    const audited = await h.deps.db
      .selectFrom('audit_log')
      .select('id')
      .where('request_id', 'like', 'whoami-%')
      .execute();
    assert.deepEqual(audited, []);
  });

  test('the dev key is the admin of tenant default, with no stored key id', async () => {
    const res = await h.req('GET', '/whoami');
    assert.equal(res.status, 200);
    assert.deepEqual(await json<WhoAmI>(res), {
      tenant_id: 'default',
      role: 'admin',
      key_id: null,
      key_name: 'dev-key',
    });
  });

  test('no key, an unknown key or a revoked key is 401 with the seed error body', async () => {
    const key = await h.key('whoami-r', 'viewer');
    const id = await keyId('whoami-r-viewer');
    const admin = await h.key('whoami-r', 'admin');
    const revoked = await h.req('DELETE', `/keys/${id}`, undefined, { authorization: `Bearer ${admin}` });
    assert.equal(revoked.status, 204);
    const unauthorized = { error: 'Unauthorized: missing or invalid API key', type: 'Unauthorized' };
    const none = await h.app.request('/whoami');
    assert.equal(none.status, 401);
    assert.deepEqual(await json<ErrorBody>(none), unauthorized);
    for (const authorization of ['Bearer nope', `Bearer ${key}`, 'Basic x']) {
      const res = await h.req('GET', '/whoami', undefined, { authorization });
      assert.equal(res.status, 401, authorization);
      assert.deepEqual(await json<ErrorBody>(res), unauthorized);
    }
  });

  test('is documented in /openapi.json with its answer', async () => {
    const doc = await json<{
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { schemas: Record<string, { required?: string[] }> };
    }>(await h.app.request('/openapi.json'));
    assert.deepEqual(doc.paths['/whoami']?.get?.security, [{ Bearer: [] }]);
    assert.deepEqual(doc.components.schemas.WhoAmI?.required?.sort(), [
      'key_id',
      'key_name',
      'role',
      'tenant_id',
    ]);
  });
});
