import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The client's address behind `hops` trusted proxies. Each proxy appends the address it received the
 * request from to X-Forwarded-For, so only the right-most `hops` entries were written by proxies we
 * trust; whatever the client put before them is its own claim and is ignored. With 0 hops (no proxy)
 * the header is ignored altogether and the socket's peer is the client.
 */
export function forwardedClient(xff: string | undefined, hops: number, peer: string | null): string | null {
  if (hops <= 0 || xff === undefined) return peer;
  const entries = xff
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) return peer;
  // Fewer entries than hops: the request skipped an outer proxy; the left-most is still a proxy's.
  const chosen = entries[Math.max(0, entries.length - hops)] ?? '';
  return isIP(chosen) !== 0 ? chosen : peer;
}

/** The socket's peer address, when the request came over a socket (not in `app.request` tests). */
function peerOf(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/** The client address the per-IP limiter and the audit log use (TRUSTED_PROXY_HOPS). */
export function clientAddress(c: Context, trustedProxyHops: number): string | null {
  return forwardedClient(c.req.header('x-forwarded-for'), trustedProxyHops, peerOf(c));
}
