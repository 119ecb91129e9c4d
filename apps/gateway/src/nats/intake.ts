/**
 * The gateway's NATS face for services that talk NATS instead of HTTP. A caller is a tenant by its
 * NATS identity: each tenant has its own NATS user, allowed to publish only on its own subjects
 * (`@po/bus` tenantPermissions), so the tenant is the subject's last token and no secret travels in a
 * message body (a body with `api_key` is refused like any unknown field).
 *
 * - `subjects.submit(tenant)` (JetStream, durable consumer CONSUMERS.intake): a pipeline request, the
 *   HTTP body, published with the caller's idempotency key as `Nats-Msg-Id`. The pipeline's id is
 *   derived from (tenant, idempotency key) — `intakePipelineId` — so the publisher knows it up front and
 *   can subscribe to `subjects.pipelineStatus(tenant, id)` before publishing. Invalid or refused
 *   messages are dead-lettered (redacted) with the reason (`Po-Dead-Letter-Reason`), never dropped.
 * - `subjects.api('create'|'get'|'cancel', tenant)` (core request/reply, queue group `gateway`): the
 *   same operations as HTTP, with the rights of a submitter of that tenant. The reply body is exactly
 *   the HTTP body (a Pipeline, or `{"error","type"}`), with the HTTP status in the `Po-Status` header.
 *   Requests without a reply subject that cannot be served are dead-lettered.
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import {
  type Msg,
  type NatsConnection,
  headers as natsHeaders,
  type Subscription,
} from '@nats-io/transport-node';
import { type BusMetrics, deadLetterRequest, Permanent, type Stoppable, startConsumer } from '@po/bus';
import {
  API_OPERATIONS,
  type ApiOperation,
  CONSUMERS,
  IdempotencyKey,
  type Subjects,
  streams,
  tenantToken,
} from '@po/contracts';
import { intakePipelineId } from '@po/contracts/intake-id';
import { type AuditEntry, type Database, recordAudit } from '@po/db';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ApiError, errors, isApiError } from '../errors/api-error.ts';
import type { PipelineService } from '../service/pipelines.ts';
import { toDetail, toResponse } from '../service/present.ts';
import { listAttempts } from '../store/pipelines.ts';
import type { Principal } from '../types.ts';

export { INTAKE_ID_NAMESPACE, intakePipelineId } from '@po/contracts/intake-id';

const IdRequest = z.strictObject({ id: z.string().max(64) });
const Envelope = z.record(z.string(), z.unknown());

/** The same rule as HTTP's Idempotency-Key; `field` names where it came from. */
function idempotencyKey(raw: unknown, field: string): string | undefined {
  if (raw === undefined) return undefined;
  const r = IdempotencyKey.safeParse(raw);
  if (!r.success) throw errors.invalidConfig(`${field}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

export interface IntakeDeps {
  nc: NatsConnection;
  db: Kysely<Database>;
  subjects: Subjects;
  service: PipelineService;
  logger: Logger;
  /** Dead letters and redeliveries of the intake consumer. */
  metrics?: BusMetrics;
  /** Submissions handled at once. */
  concurrency?: number;
}

/**
 * The caller of a message on a tenant's subject: that tenant, as a submitter. The NATS server let
 * only that tenant's user publish there.
 */
export function natsPrincipal(subject: string): Principal {
  const tenant = subject.slice(subject.lastIndexOf('.') + 1);
  try {
    tenantToken(tenant);
  } catch {
    throw errors.unauthorized('not a tenant subject');
  }
  return { tenantId: tenant, role: 'submitter', actor: `nats:${tenant}` };
}

/** The audit row of a NATS mutation (create, cancel): as over HTTP, with `via: nats` and the subject. */
function natsAudit(
  principal: Principal | undefined,
  action: string,
  target: string | null,
  subject: string,
  requestId: string | null,
  answer: { status: number; outcome: string },
): AuditEntry {
  return {
    actor: principal?.actor ?? 'anonymous',
    tenantId: principal?.tenantId ?? null,
    action,
    target,
    requestId,
    clientAddr: null,
    outcome: answer.outcome,
    status: answer.status,
    details: { via: 'nats', subject },
  };
}

/** A refusal's audit row, on its own (nothing changed); a failure to write it is logged. */
async function auditRefusal(d: Pick<IntakeDeps, 'db' | 'logger'>, entry: AuditEntry): Promise<void> {
  await recordAudit(d.db, entry).catch((err: unknown) => d.logger.error({ err }, 'audit write failed'));
}

function without(raw: Record<string, unknown>, ...drop: string[]): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!drop.includes(k)) rest[k] = v;
  return rest;
}

export interface Submission {
  /** The tenant's submit subject it came on (the tenant is its last token). */
  subject: string;
  /** The idempotency key: the Nats-Msg-Id it was published with, or the one a replay kept. */
  key: string | null;
}

/**
 * Creates the pipeline a submission asks for (id from tenant + key), or finds it created. A refusal
 * is audited and thrown as the ApiError: the NATS consumer dead-letters it; a replay of a dead letter
 * (`POST /dead-letters/{id}/replay`) answers with it.
 */
export function submissionHandler(
  d: Pick<IntakeDeps, 'db' | 'service' | 'logger'>,
): (raw: Record<string, unknown>, s: Submission) => Promise<{ id: string; created: boolean }> {
  return async (raw, { subject, key }) => {
    // The key goes in the audit row as the request id only when it is one that can be stored.
    const auditKey = key !== null && IdempotencyKey.safeParse(key).success ? key : null;
    let principal: Principal | undefined;
    try {
      principal = natsPrincipal(subject);
      if (!key) throw errors.invalidConfig('Nats-Msg-Id: required (the idempotency key)');
      idempotencyKey(key, 'Nats-Msg-Id');
      const req = d.service.parse(raw);
      const id = intakePipelineId(principal.tenantId, key);
      const r = await d.service.create(principal, req, {
        idempotencyKey: key,
        id,
        audit: natsAudit(principal, 'pipeline.create', id, subject, key, { status: 201, outcome: 'ok' }),
      });
      d.logger.debug(
        { pipeline_id: r.pipeline.id, tenant: r.pipeline.tenant_id, created: r.created },
        'submission accepted',
      );
      return { id: r.pipeline.id, created: r.created };
    } catch (err) {
      if (isApiError(err)) {
        await auditRefusal(
          d,
          natsAudit(principal, 'pipeline.create', null, subject, auditKey, {
            status: err.status,
            outcome: err.type,
          }),
        );
      }
      throw err;
    }
  };
}

export function startIntake(d: IntakeDeps): Stoppable {
  const js = jetstream(d.nc);
  const submitOne = submissionHandler(d);

  const submit = startConsumer({
    nc: d.nc,
    stream: streams(d.subjects.prefix).intake,
    consumer: CONSUMERS.intake,
    schema: Envelope,
    logger: d.logger,
    ...(d.metrics ? { metrics: d.metrics } : {}),
    subjects: d.subjects,
    concurrency: d.concurrency ?? 16,
    handler: async (raw, meta) => {
      try {
        await submitOne(raw, { subject: meta.subject, key: meta.headers['Nats-Msg-Id'] ?? null });
      } catch (err) {
        // A refusal will not change on redelivery: dead-letter it with the reason.
        if (isApiError(err)) throw new Permanent(`${err.type}: ${err.message}`);
        throw err;
      }
    },
  });

  const answer = async (
    op: ApiOperation,
    subject: string,
    raw: unknown,
    who: { principal?: Principal },
  ): Promise<{ status: number; body: unknown }> => {
    const principal = natsPrincipal(subject);
    who.principal = principal;
    const parsed = Envelope.safeParse(raw);
    if (!parsed.success) throw errors.invalidConfig('body: must be a JSON object');
    if (op === 'create') {
      const key = idempotencyKey(parsed.data.idempotency_key, 'idempotency_key');
      const req = d.service.parse(without(parsed.data, 'idempotency_key'));
      const id = randomUUID();
      const r = await d.service.create(principal, req, {
        idempotencyKey: key,
        id,
        audit: natsAudit(principal, 'pipeline.create', id, subject, null, {
          status: 201,
          outcome: 'ok',
        }),
      });
      return { status: r.created ? 201 : 200, body: toResponse(r.pipeline) };
    }
    const req = IdRequest.safeParse(parsed.data);
    if (!req.success) throw errors.invalidConfig('body: must be {"id"}');
    if (op === 'get') {
      const p = await d.service.get(principal, req.data.id);
      return { status: 200, body: toDetail(p, await listAttempts(d.db, p.id)) };
    }
    const audit = natsAudit(principal, 'pipeline.cancel', req.data.id, subject, null, {
      status: 200,
      outcome: 'ok',
    });
    return { status: 200, body: toResponse(await d.service.cancel(principal, req.data.id, audit)) };
  };

  const handle = async (op: ApiOperation, m: Msg) => {
    let result: { status: number; body: unknown };
    const who: { principal?: Principal } = {};
    try {
      let raw: unknown;
      try {
        raw = m.json();
      } catch {
        throw errors.invalidConfig('body: not JSON');
      }
      result = await answer(op, m.subject, raw, who);
    } catch (err) {
      const e = isApiError(err) ? err : new ApiError('Internal', 'Internal server error');
      if (!isApiError(err)) d.logger.error({ err, subject: m.subject }, 'request failed');
      result = { status: e.status, body: e.body() };
      if (op !== 'get') {
        const entry = natsAudit(who.principal, `pipeline.${op}`, null, m.subject, null, {
          status: e.status,
          outcome: e.type,
        });
        await auditRefusal(d, entry);
      }
      if (!m.reply) {
        await deadLetterRequest(js, d.subjects, m, `${e.type}: ${e.message}`).catch((pubErr: unknown) => {
          d.logger.error({ err: pubErr, subject: m.subject }, 'dead-lettering a request failed');
        });
        return;
      }
    }
    if (!m.reply) return;
    const h = natsHeaders();
    h.set('Po-Status', String(result.status));
    m.respond(JSON.stringify(result.body), { headers: h });
  };

  const subs: Subscription[] = API_OPERATIONS.map((op) =>
    d.nc.subscribe(d.subjects.apiAll(op), {
      queue: 'gateway',
      callback: (err, m) => {
        if (err) return d.logger.warn({ err }, 'request subscription error');
        void handle(op, m);
      },
    }),
  );

  return {
    async stop() {
      for (const s of subs) s.unsubscribe();
      await submit.stop();
    },
  };
}
