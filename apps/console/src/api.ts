/**
 * The console's only way to the system: the public HTTP API with the user's key (kept in
 * sessionStorage, so it is gone when the tab closes). Errors come back as the seed's
 * `{"error","type"}` body and are thrown as ApiError.
 */
import { nextLink } from './link.ts';

const KEY = 'po.apiKey';
const IDENTITY = 'po.identity';
/** Dispatched on window when the API refuses the stored key. */
export const SIGNED_OUT = 'po-signed-out';

export interface StoredIdentity {
  tenant: string;
  role: 'viewer' | 'submitter' | 'admin';
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

/** The tenant and role found when the stored key signed in (null when signed out). */
export function storedIdentity(): StoredIdentity | null {
  if (storedKey() === null) return null;
  try {
    const v = JSON.parse(sessionStorage.getItem(IDENTITY) ?? 'null') as StoredIdentity | null;
    return v && typeof v.tenant === 'string' && ['viewer', 'submitter', 'admin'].includes(v.role) ? v : null;
  } catch {
    return null;
  }
}

/** Signs in (a key and what it may do) or out (null). */
export function storeKey(key: string | null, identity?: StoredIdentity): void {
  if (key === null) {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(IDENTITY);
    return;
  }
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(IDENTITY, JSON.stringify(identity ?? null));
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
  }
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: unknown; type?: unknown };
    if (typeof body.error === 'string')
      return new ApiError(res.status, typeof body.type === 'string' ? body.type : 'Error', body.error);
  } catch {
    // not JSON: fall through to the raw text
  }
  return new ApiError(res.status, 'Error', text.slice(0, 300) || res.statusText);
}

export function authHeaders(key = storedKey()): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

export async function request(path: string, init: RequestInit = {}, key = storedKey()): Promise<Response> {
  const headers: Record<string, string> = {
    ...authHeaders(key),
    ...(init.headers as Record<string, string>),
  };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401 && key !== null && key === storedKey()) {
    // The stored key no longer works (revoked): back to the sign-in page.
    storeKey(null);
    dispatchEvent(new Event(SIGNED_OUT));
  }
  if (!res.ok) throw await failure(res);
  return res;
}

export async function getJson<T>(path: string, key?: string): Promise<T> {
  return (await (await request(path, {}, key)).json()) as T;
}

/** A page of a list and the path of the next one (the `Link: <…>; rel="next"` header). */
export async function getPage<T>(path: string): Promise<{ items: T[]; next: string | undefined }> {
  const res = await request(path);
  return { items: (await res.json()) as T[], next: nextLink(res.headers.get('link')) };
}

export async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(path, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return (await res.json()) as T;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
