import type { Role } from '@po/db';

/** pino-compatible; the subset the gateway uses. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Who is calling: resolved from an API key. */
export interface Principal {
  tenantId: string;
  role: Role;
  /** For the audit log: `key:<id>`, `dev-key` or `nats:<tenant>`. */
  actor: string;
  /** The API key it signed in with (HTTP callers; `id` null for the dev key, which is not stored). */
  key?: { id: string | null; name: string };
}

export const ROLE_RANK: Record<Role, number> = { viewer: 0, submitter: 1, admin: 2 };
