import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database, Role } from '@po/db';
import type { Kysely } from 'kysely';
import type { Clock, Principal } from '../../types.ts';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new random key; only its hash is stored. */
export function generateKey(): string {
  return `po_${randomBytes(24).toString('base64url')}`;
}

export interface KeyResolver {
  resolve(token: string): Promise<Principal | null>;
  /** Forget cached answers (after a revoke in this process). */
  invalidate(): void;
}

export interface DbKeyResolverOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** When set, this key is accepted as admin of tenant `default` (dev mode). */
  devKey?: string | undefined;
  /** How long an answer (positive or negative) is reused; a revoke elsewhere takes this long. */
  cacheMs?: number;
}

/** API keys from `api_keys` (sha256 of the key), with a short cache so auth costs no query per request. */
export function dbKeyResolver({ db, clock, devKey, cacheMs = 10_000 }: DbKeyResolverOptions): KeyResolver {
  const cache = new Map<string, { at: number; principal: Principal | null }>();
  const devHash = devKey ? Buffer.from(hashKey(devKey)) : undefined;
  return {
    async resolve(token) {
      const h = hashKey(token);
      if (devHash && timingSafeEqual(devHash, Buffer.from(h))) {
        return { tenantId: 'default', role: 'admin', actor: 'dev-key', key: { id: null, name: 'dev-key' } };
      }
      const now = clock.now().getTime();
      const hit = cache.get(h);
      if (hit && now - hit.at < cacheMs) return hit.principal;
      const row = await db
        .selectFrom('api_keys')
        .select(['id', 'tenant_id', 'role', 'name'])
        .where('key_hash', '=', h)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      const principal: Principal | null = row
        ? {
            tenantId: row.tenant_id,
            role: row.role,
            actor: `key:${row.id}`,
            key: { id: row.id, name: row.name },
          }
        : null;
      if (cache.size > 10_000) cache.clear();
      cache.set(h, { at: now, principal });
      return principal;
    },
    invalidate() {
      cache.clear();
    },
  };
}

export interface CreatedKey {
  id: string;
  key: string;
  tenant_id: string;
  role: Role;
  name: string;
  created_at: string;
}

export async function createApiKey(
  db: Kysely<Database>,
  input: { tenantId: string; role: Role; name: string },
): Promise<CreatedKey> {
  const key = generateKey();
  const row = await db
    .insertInto('api_keys')
    .values({ tenant_id: input.tenantId, role: input.role, name: input.name, key_hash: hashKey(key) })
    .returning(['id', 'tenant_id', 'role', 'name', 'created_at'])
    .executeTakeFirstOrThrow();
  return { ...row, key, created_at: row.created_at.toISOString() };
}
