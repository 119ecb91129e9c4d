import type { Context, MiddlewareHandler } from 'hono';
import { errors } from '../../errors/api-error.ts';
import { type Principal, ROLE_RANK } from '../../types.ts';
import type { KeyResolver } from './keys.ts';

export type { KeyResolver } from './keys.ts';
export { createApiKey, dbKeyResolver, generateKey, hashKey } from './keys.ts';

export type AuthVariables = { principal: Principal };

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,512})\s*$/i;

/** Bearer API key -> `c.get('principal')`; 401 Unauthorized otherwise. */
export function auth(
  resolver: KeyResolver,
  opts: { skip?: (path: string) => boolean } = {},
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    if (opts.skip?.(c.req.path)) return next();
    const m = BEARER.exec(c.req.header('authorization') ?? '');
    const token = m?.[1];
    if (token === undefined) throw errors.unauthorized();
    const principal = await resolver.resolve(token);
    if (principal === null) throw errors.unauthorized();
    c.set('principal', principal);
    await next();
  };
}

export function principalOf(c: Context): Principal {
  const p = c.get('principal') as Principal | undefined;
  if (p === undefined) throw errors.unauthorized();
  return p;
}

/** Throws 403 Forbidden unless the caller's role is at least `min`. */
export function requireRole(c: Context, min: Principal['role']): Principal {
  const p = principalOf(c);
  if (ROLE_RANK[p.role] < ROLE_RANK[min])
    throw errors.forbidden(`role ${p.role} may not do this (needs ${min})`);
  return p;
}
