/** What the key may do: GET /whoami names its tenant and role. */
import { getJson, type StoredIdentity } from './api.ts';
import type { WhoAmI } from './types.ts';

export type Role = StoredIdentity['role'];
export type Identity = StoredIdentity;

const RANK: Record<Role, number> = { viewer: 0, submitter: 1, admin: 2 };

export function atLeast(who: Identity | null, min: Role): boolean {
  return who !== null && RANK[who.role] >= RANK[min];
}

/** The identity in GET /whoami's answer; a role this console does not know gets the least it shows. */
export function identityOf(answer: WhoAmI): Identity {
  const role = Object.hasOwn(RANK, answer.role) ? (answer.role as Role) : 'viewer';
  return { tenant: answer.tenant_id, role };
}

/** Resolves the key's tenant and role; throws ApiError (401) for a key the API refuses. */
export async function identify(key: string): Promise<Identity> {
  return identityOf(await getJson<WhoAmI>('/whoami', key));
}
