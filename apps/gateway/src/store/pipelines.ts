import type { PipelineStatus, Priority } from '@po/contracts';
import type { Database, Pipeline, PipelineAttempt, PipelineEvent } from '@po/db';
import { type Kysely, sql } from 'kysely';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** A tenant's pipeline; another tenant's id (or a non-UUID) reads as absent. */
export async function getTenantPipeline(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<Pipeline | undefined> {
  if (!isUuid(id)) return undefined;
  return db
    .selectFrom('pipelines')
    .selectAll()
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
}

export async function listAttempts(db: Kysely<Database>, pipelineId: string): Promise<PipelineAttempt[]> {
  return db
    .selectFrom('pipeline_attempts')
    .selectAll()
    .where('pipeline_id', '=', pipelineId)
    .orderBy('attempt')
    .execute();
}

export async function listEvents(db: Kysely<Database>, pipelineId: string): Promise<PipelineEvent[]> {
  return db
    .selectFrom('pipeline_events')
    .selectAll()
    .where('pipeline_id', '=', pipelineId)
    .orderBy('id')
    .execute();
}

export interface ListFilter {
  tenantId: string;
  status?: PipelineStatus | undefined;
  template?: string | undefined;
  priority?: Priority | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  /** Exclusive: rows strictly older than this position. */
  after?: Cursor | undefined;
  limit: number;
}

/** A position in newest-first order: created_at in microseconds since the epoch (exact), then id. */
export interface Cursor {
  createdUs: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.createdUs}.${c.id}`).toString('base64url');
}

/** The latest created_at a cursor may name: 9999-12-31 (beyond it `timestamptz` arithmetic overflows). */
const MAX_CURSOR_US = 253_402_300_799_999_999n;

export function decodeCursor(s: string): Cursor | undefined {
  const m = /^(\d{1,20})\.([0-9a-f-]{36})$/.exec(Buffer.from(s, 'base64url').toString('utf8'));
  if (!m?.[1] || !m[2] || !isUuid(m[2])) return undefined;
  if (BigInt(m[1]) > MAX_CURSOR_US) return undefined;
  return { createdUs: m[1], id: m[2] };
}

const createdUs = sql<string>`(extract(epoch from created_at) * 1000000)::bigint::text`;
const atUs = (us: string) => sql<Date>`(timestamptz 'epoch' + ${us}::bigint * interval '1 microsecond')`;

/** Newest first, stable under concurrent inserts (keyset on created_at, id). Fetches limit+1 to see a next page. */
export async function listPipelines(
  db: Kysely<Database>,
  f: ListFilter,
): Promise<{ rows: Pipeline[]; next: Cursor | undefined }> {
  let q = db
    .selectFrom('pipelines')
    .selectAll()
    .select(createdUs.as('created_us'))
    .where('tenant_id', '=', f.tenantId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.template) q = q.where('template', '=', f.template);
  if (f.priority) q = q.where('priority', '=', f.priority);
  if (f.createdAfter) q = q.where('created_at', '>', f.createdAfter);
  if (f.createdBefore) q = q.where('created_at', '<', f.createdBefore);
  const after = f.after;
  if (after) {
    q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(atUs(after.createdUs), after.id)));
  }
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
  const page = rows.slice(0, f.limit);
  const last = page.at(-1);
  const next = rows.length > f.limit && last ? { createdUs: last.created_us, id: last.id } : undefined;
  return { rows: page.map(({ created_us: _, ...p }) => p), next };
}

export interface LogLineRow {
  id: string;
  attempt: number;
  pod_name: string;
  ts: Date | null;
  line: string;
}

export interface LogQuery {
  pipelineId: string;
  attempt?: number | undefined;
  since?: Date | undefined;
  /** Only rows with id greater than this (for follow). */
  afterId?: string | undefined;
  /** The last N lines of the selection. */
  tail?: number | undefined;
  limit: number;
}

export async function readLogs(db: Kysely<Database>, q: LogQuery): Promise<LogLineRow[]> {
  let s = db
    .selectFrom('pipeline_logs')
    .select(['id', 'attempt', 'pod_name', 'ts', 'line'])
    .where('pipeline_id', '=', q.pipelineId);
  if (q.attempt !== undefined) s = s.where('attempt', '=', q.attempt);
  if (q.since) s = s.where('ts', '>=', q.since);
  if (q.afterId !== undefined) s = s.where('id', '>', q.afterId);
  if (q.tail !== undefined) {
    const rows = await s.orderBy('id', 'desc').limit(Math.min(q.tail, q.limit)).execute();
    return rows.reverse();
  }
  return s.orderBy('id').limit(q.limit).execute();
}
