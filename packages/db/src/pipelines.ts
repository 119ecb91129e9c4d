import type { BusMessage, Subjects } from '@po/contracts';
import { type Kysely, sql } from 'kysely';
import { type AuditEntry, auditRow } from './audit.ts';
import { queued, statusChanged } from './envelopes.ts';
import { activeTraceHeaders } from './outbox.ts';
import type { Database, NewPipeline, Pipeline } from './schema.ts';
import type { Tx } from './tx.ts';

export type InsertPipelineResult =
  | { created: true; pipeline: Pipeline }
  | { created: false; existing: Pipeline };

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Insert a new pipeline as Queued (attempt 1) with its first event and messages. A repeated
 * (tenant_id, idempotency_key) returns the existing pipeline instead of failing.
 */
export async function insertPipeline(
  db: Kysely<Database>,
  subjects: Subjects,
  row: NewPipeline,
): Promise<InsertPipelineResult> {
  const [result] = await insertPipelines(db, subjects, [row]);
  if (!result) throw new Error('insertPipelines returned no result');
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

interface Prepared {
  index: number;
  values: NewPipeline;
  /** The request's audit row, inserted with the pipeline (and only if it is). */
  audit: AuditEntry | undefined;
  messages: { subject: string; message: BusMessage; headers: Record<string, string> }[];
}

/**
 * Inserts many pipelines as Queued (attempt 1), each with its first 'transition' event and its two
 * outbox messages (status notification + queued command), in ONE statement: one round trip and one
 * commit (one WAL flush) for the whole batch. The result at index i answers rows[i]:
 * - `{ created: true }` when it was inserted;
 * - `{ created: false, existing }` when its (tenant_id, idempotency_key) was already taken — by an
 *   earlier pipeline, a concurrent one (ON CONFLICT waits for it to commit), or an earlier row of
 *   this batch — exactly as for a single insert;
 * - rejected with the row's own error. A batch the database refuses (a constraint, a deadlock, a
 *   lost connection) commits nothing, so each row is then inserted on its own, in order, and gets
 *   its own answer.
 *
 * Trace context: a row's `traceparent` (the pipeline's root) is what its messages continue; when it
 * is not given, the active context's is used, as for a single insert.
 *
 * `audits[i]`, when given, is rows[i]'s audit row: written in the same statement, for a row that is
 * inserted (a replay of an idempotency key inserts nothing, so it is audited by the caller).
 */
export async function insertPipelines(
  db: Tx,
  subjects: Subjects,
  rows: readonly NewPipeline[],
  audits: readonly (AuditEntry | undefined)[] = [],
): Promise<PromiseSettledResult<InsertPipelineResult>[]> {
  if (rows.length === 0) return [];
  const prepared = rows.map((row, index) => prepare(subjects, row, index, audits[index]));
  try {
    return await insertBatch(db, prepared);
  } catch (err) {
    if (rows.length === 1) return [{ status: 'rejected', reason: err }];
    // One by one, in order: the answers are those of inserting the rows in sequence.
    const results: PromiseSettledResult<InsertPipelineResult>[] = [];
    for (const p of prepared) {
      try {
        const [one] = await insertBatch(db, [p]);
        results.push(one ?? { status: 'rejected', reason: new Error('no result') });
      } catch (e) {
        results.push({ status: 'rejected', reason: e });
      }
    }
    return results;
  }
}

function prepare(
  subjects: Subjects,
  row: NewPipeline,
  index: number,
  audit: AuditEntry | undefined,
): Prepared {
  const active = row.traceparent == null ? activeTraceHeaders() : undefined;
  const traceparent = row.traceparent ?? active?.traceparent ?? null;
  const values: NewPipeline = { ...row, status: 'Queued', attempt: 1, admitted_at: null, traceparent };
  const headers = active ?? (traceparent ? { traceparent } : {});
  // The row as it will read back, for the message builders (they use id, attempt, status, reason,
  // priority — all fixed by the insert).
  const reason = row.reason ?? null;
  const p = { id: row.id, attempt: 1, status: 'Queued' as const, priority: row.priority };
  return {
    index,
    values,
    audit,
    messages: [
      {
        subject: subjects.pipelineStatus(row.tenant_id ?? 'default', row.id),
        message: statusChanged(p, null, reason),
        headers,
      },
      { subject: subjects.pipelineQueued, message: queued(p), headers },
    ],
  };
}

const keyOf = (tenantId: string | undefined, idempotencyKey: string | null | undefined) =>
  idempotencyKey == null ? undefined : `${tenantId ?? 'default'}\u0000${idempotencyKey}`;

/** Throws when the statement fails (nothing committed); otherwise one settled result per row. */
async function insertBatch(
  db: Tx,
  batch: readonly Prepared[],
): Promise<PromiseSettledResult<InsertPipelineResult>[]> {
  // Rows with an idempotency key in a fixed order, so two concurrent batches that share keys wait for
  // each other in the same order instead of deadlocking.
  const ordered = [...batch].sort((a, b) => {
    const ka = keyOf(a.values.tenant_id, a.values.idempotency_key) ?? '';
    const kb = keyOf(b.values.tenant_id, b.values.idempotency_key) ?? '';
    return ka < kb ? -1 : ka > kb ? 1 : a.index - b.index;
  });
  const inserted = await insertRows(db, ordered);

  const byId = new Map(inserted.map((p) => [p.id, p]));
  const lost = batch.filter((p) => !byId.has(p.values.id));
  const existing = new Map<string, Pipeline>();
  if (lost.length > 0) {
    const pairs = lost.map((p) => [p.values.tenant_id ?? 'default', p.values.idempotency_key ?? ''] as const);
    const rows = await db
      .selectFrom('pipelines')
      .selectAll()
      .where((eb) =>
        eb(
          eb.refTuple('tenant_id', 'idempotency_key'),
          'in',
          pairs.map(([t, k]) => eb.tuple(t, k)),
        ),
      )
      .execute();
    for (const r of rows) {
      const k = keyOf(r.tenant_id, r.idempotency_key);
      if (k !== undefined) existing.set(k, r);
    }
  }
  return batch.map((p): PromiseSettledResult<InsertPipelineResult> => {
    const pipeline = byId.get(p.values.id);
    if (pipeline) return { status: 'fulfilled', value: { created: true, pipeline } };
    const found = existing.get(keyOf(p.values.tenant_id, p.values.idempotency_key) ?? '');
    if (found) return { status: 'fulfilled', value: { created: false, existing: found } };
    return {
      status: 'rejected',
      reason: new Error(`pipeline ${p.values.id} was neither inserted nor found by its idempotency key`),
    };
  });
}

/** undefined for an unknown id, including one that is not a UUID (so callers can pass user input). */
export async function getPipeline(db: Tx, id: string): Promise<Pipeline | undefined> {
  if (!UUID_RE.test(id)) return undefined;
  return db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirst();
}

/** JSON columns of `pipelines`: a string value is already JSON text, anything else is serialized. */
const JSON_COLUMNS = new Set(['pipeline_type', 'config', 'job']);
const COLUMN_RE = /^[a-z_]+$/;

/**
 * The batch's statement. Rows and messages travel as two JSON parameters expanded in Postgres
 * (json_populate_recordset with the table's own row type), so the SQL text is the same for every
 * batch of the same columns: no per-value query building, a handful of parameters instead of ~25 per
 * row, and less for Postgres to parse and plan.
 */
async function insertRows(db: Tx, ordered: readonly Prepared[]): Promise<Pipeline[]> {
  const first = ordered[0];
  if (!first) return [];
  const columns = Object.keys(first.values).filter(
    (k) => (first.values as Record<string, unknown>)[k] !== undefined,
  );
  const same = ordered.every((p) => {
    const v = p.values as Record<string, unknown>;
    let n = 0;
    for (const k in v) if (v[k] !== undefined) n++;
    return n === columns.length && columns.every((k) => v[k] !== undefined);
  });
  if (!same || !columns.every((k) => COLUMN_RE.test(k))) return insertRowsBuilt(db, ordered);
  const rows: string[] = [];
  const messages: string[] = [];
  const audits: string[] = [];
  for (const p of ordered) {
    if (p.audit) audits.push(auditJson(p.values.id, p.audit));
    const v = p.values as Record<string, unknown>;
    const fields: string[] = [];
    for (const k of columns) {
      const x = v[k];
      fields.push(`"${k}":${JSON_COLUMNS.has(k) && typeof x === 'string' ? x : JSON.stringify(x)}`);
    }
    rows.push(`{${fields.join(',')}}`);
    for (const m of p.messages) {
      messages.push(
        `{"pipeline_id":${JSON.stringify(p.values.id)},"msg_id":${JSON.stringify(m.message.id)},"subject":${JSON.stringify(m.subject)},"payload":${JSON.stringify(m.message)},"headers":${JSON.stringify(m.headers)}}`,
      );
    }
  }
  const cols = columns.map((k) => `"${k}"`).join(', ');
  const { rows: inserted } = await sql<Pipeline>`
    with ins as (
      insert into pipelines (${sql.raw(cols)})
      select ${sql.raw(cols)} from json_populate_recordset(null::pipelines, ${`[${rows.join(',')}]`}::json)
      on conflict (tenant_id, idempotency_key) do nothing
      returning *
    ), ev as (
      insert into pipeline_events (pipeline_id, attempt, kind, from_status, to_status, reason)
      select ins.id, ins.attempt, 'transition', null::text, ins.status, ins.reason from ins
    ), ob as (
      insert into outbox (msg_id, subject, payload, headers)
      select m.msg_id, m.subject, m.payload, m.headers
      from json_to_recordset(${`[${messages.join(',')}]`}::json)
        as m(pipeline_id uuid, msg_id text, subject text, payload jsonb, headers jsonb)
      where m.pipeline_id in (select ins.id from ins)
      on conflict (msg_id) do nothing
    ), au as (
      insert into audit_log (actor, tenant_id, action, target, request_id, client_addr, outcome, status, details)
      select a.actor, a.tenant_id, a.action, a.target, a.request_id, a.client_addr, a.outcome, a.status, a.details
      from json_to_recordset(${`[${audits.join(',')}]`}::json) as a(${AUDIT_RECORD})
      where a.pipeline_id in (select ins.id from ins)
    )
    select * from ins`.execute(db);
  return inserted;
}

const AUDIT_RECORD = sql.raw(
  'pipeline_id uuid, actor text, tenant_id text, action text, target text, request_id text, client_addr text, outcome text, status integer, details jsonb',
);

/** An audit entry as one element of the statement's JSON parameter. */
function auditJson(pipelineId: string | undefined, e: AuditEntry): string {
  const { details, ...row } = auditRow(e);
  return JSON.stringify({ pipeline_id: pipelineId, ...row }).replace(
    /}$/,
    `,"details":${details ?? 'null'}}`,
  );
}

/** The same statement built value by value (rows whose columns differ, e.g. some left to defaults). */
async function insertRowsBuilt(db: Tx, ordered: readonly Prepared[]): Promise<Pipeline[]> {
  const messages = sql<{
    pipeline_id: string;
    msg_id: string;
    subject: string;
    payload: string;
    headers: string;
  }>`(values ${sql.join(
    ordered.flatMap((p) =>
      p.messages.map(
        (m) =>
          sql`(${p.values.id}::uuid, ${m.message.id}::text, ${m.subject}::text, ${JSON.stringify(m.message)}::jsonb, ${JSON.stringify(m.headers)}::jsonb)`,
      ),
    ),
  )})`.as<'m'>(sql`m(pipeline_id, msg_id, subject, payload, headers)`);

  // One statement (atomic on its own): the pipelines, then — for the rows actually inserted — their
  // first event and their outbox messages. ON CONFLICT waits for a concurrent insert of the same key
  // and then does nothing, so the select below sees the winner's committed row.
  return db
    .with('ins', (qb) =>
      qb
        .insertInto('pipelines')
        .values(ordered.map((p) => p.values))
        .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
        .returningAll(),
    )
    .with('ev', (qb) =>
      qb
        .insertInto('pipeline_events')
        .columns(['pipeline_id', 'attempt', 'kind', 'from_status', 'to_status', 'reason'])
        .expression((eb) =>
          eb
            .selectFrom('ins')
            .select([
              'ins.id',
              'ins.attempt',
              sql<string>`'transition'`.as('kind'),
              sql<null>`null::text`.as('from_status'),
              'ins.status',
              'ins.reason',
            ]),
        ),
    )
    .with('ob', (qb) =>
      qb
        .insertInto('outbox')
        .columns(['msg_id', 'subject', 'payload', 'headers'])
        .expression((eb) =>
          eb
            .selectFrom(messages)
            .select(['m.msg_id', 'm.subject', 'm.payload', 'm.headers'])
            .where('m.pipeline_id', 'in', eb.selectFrom('ins').select('ins.id')),
        )
        .onConflict((oc) => oc.column('msg_id').doNothing()),
    )
    .with('au', (qb) =>
      qb
        .insertInto('audit_log')
        .columns([
          'actor',
          'tenant_id',
          'action',
          'target',
          'request_id',
          'client_addr',
          'outcome',
          'status',
          'details',
        ])
        .expression((eb) =>
          eb
            .selectFrom(
              sql<AuditRecord>`json_to_recordset(${`[${ordered.flatMap((p) => (p.audit ? [auditJson(p.values.id, p.audit)] : [])).join(',')}]`}::json)`.as<'a'>(
                sql`a(${AUDIT_RECORD})`,
              ),
            )
            .select([
              'a.actor',
              'a.tenant_id',
              'a.action',
              'a.target',
              'a.request_id',
              'a.client_addr',
              'a.outcome',
              'a.status',
              'a.details',
            ])
            .where('a.pipeline_id', 'in', eb.selectFrom('ins').select('ins.id')),
        ),
    )
    .selectFrom('ins')
    .selectAll()
    .execute();
}

interface AuditRecord {
  pipeline_id: string;
  actor: string;
  tenant_id: string | null;
  action: string;
  target: string | null;
  request_id: string | null;
  client_addr: string | null;
  outcome: string;
  status: number | null;
  details: string | null;
}
