import type { OpenAPIHono } from '@hono/zod-openapi';
import type { RequestIdVariables } from 'hono/request-id';
import type { AuditVariables } from './middleware/audit/index.ts';
import type { AuthVariables } from './middleware/auth/index.ts';

/** Hono context variables every route can read. */
export type AppEnv = { Variables: RequestIdVariables & AuthVariables & AuditVariables };
export type App = OpenAPIHono<AppEnv>;
