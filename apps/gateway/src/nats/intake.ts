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
import { createHash, randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import {
  type Msg,
  type NatsConnection,
  headers as natsHeaders,
  type Subscription,
} from '@nats-io/transport-node';
import { deadLetterRequest, Permanent, type Stoppable, startConsumer } from '@po/bus';
import {
  API_OPERATIONS,
  type ApiOperation,
  CONSUMERS,
  IdempotencyKey,
  type Subjects,
  streams,
  tenantToken,
} from '@po/contracts';
import { type AuditEntry, type Database, recordAudit } from '@po/db';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ApiError, errors, isApiError } from '../errors/api-error.ts';
import type { PipelineService } from '../service/pipelines.ts';
import { toDetail, toResponse } from '../service/present.ts';
import { listAttempts } from '../store/pipelines.ts';
import type { Principal } from '../types.ts';

/** Fixed namespace for name-based (v5) pipeline ids of NATS submissions. */
export const INTAKE_ID_NAMESPACE = '6f1d3c2e-8a4b-5e7f-9c0d-1a2b3c4d5e6f';

/** RFC 4122 version 5 UUID of `${tenantId}/${idempotencyKey}`. */
export function intakePipelineId(tenantId: string, idempotencyKey: string): string {
  const ns = Buffer.from(INTAKE_ID_NAMESPACE.replaceAll('-', ''), 'hex');
  const h = createHash('sha1').update(ns).update(`${tenantId}/${idempotencyKey}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

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
async function auditRefusal(d: IntakeDeps, entry: AuditEntry): Promise<void> {
  await recordAudit(d.db, entry).catch((err: unknown) => d.logger.error({ err }, 'audit write failed'));
}

function without(raw: Record<string, unknown>, ...drop: string[]): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!drop.includes(k)) rest[k] = v;
  return rest;
}

export function startIntake(d: IntakeDeps): Stoppable {
  const js = jetstream(d.nc);

  const submit = startConsumer({
    nc: d.nc,
    stream: streams(d.subjects.prefix).intake,
    consumer: CONSUMERS.intake,
    schema: Envelope,
    logger: d.logger,
    subjects: d.subjects,
    concurrency: d.concurrency ?? 16,
    handler: async (raw, meta) => {
      const key = meta.headers['Nats-Msg-Id'] ?? null;
      // The key goes in the audit row as the request id only when it is one that can be stored.
      const auditKey = key !== null && IdempotencyKey.safeParse(key).success ? key : null;
      const subject = meta.subject;
      let principal: Principal | undefined;
      try {
        principal = natsPrincipal(meta.subject);
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
      } catch (err) {
        // A refusal will not change on redelivery: dead-letter it with the reason.
        if (isApiError(err)) {
          await auditRefusal(
            d,
            natsAudit(principal, 'pipeline.create', null, subject, auditKey, {
              status: err.status,
              outcome: err.type,
            }),
          );
          throw new Permanent(`${err.type}: ${err.message}`);
        }
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
