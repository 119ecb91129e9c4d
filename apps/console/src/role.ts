/**
 * What the key may do. The API has no "who am I"; its roles show in what it answers: GET /keys is
 * for admins, and a 403 names the caller's role ("role viewer may not do this (needs admin)").
 * GET /quota names the tenant.
 */
import { ApiError, getJson, type StoredIdentity } from './api.ts';

export type Role = StoredIdentity['role'];
export type Identity = StoredIdentity;

const RANK: Record<Role, number> = { viewer: 0, submitter: 1, admin: 2 };

export function atLeast(who: Identity | null, min: Role): boolean {
  return who !== null && RANK[who.role] >= RANK[min];
}

export function roleFromForbidden(message: string): Role {
  const m = /\brole (viewer|submitter|admin)\b/.exec(message);
  return (m?.[1] as Role | undefined) ?? 'viewer';
}

/** Resolves the key's tenant and role; throws ApiError (401) for a key the API refuses. */
export async function identify(key: string): Promise<Identity> {
  const quota = await getJson<{ tenant_id: string }>('/quota', key);
  try {
    await getJson<unknown>('/keys', key);
    return { tenant: quota.tenant_id, role: 'admin' };
  } catch (err) {
    if (err instanceof ApiError && err.status === 403)
      return { tenant: quota.tenant_id, role: roleFromForbidden(err.message) };
    throw err;
  }
}
