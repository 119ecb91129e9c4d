import { createHash, randomUUID } from 'node:crypto';
import { context, type Link, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  CreatePipelineRequest,
  DEFAULT_TIMEOUT_SECONDS,
  imageAllowed,
  isTerminal,
  jobRequests,
  PRIORITY_RANK,
  type ResourceRequests,
  type Subjects,
  templateNameOf,
} from '@po/contracts';
import {
  type AuditEntry,
  type Database,
  type InsertPipelineResult,
  insertPipelines,
  type NewPipeline,
  type Pipeline,
  transition,
} from '@po/db';
import type { PipelineMetrics } from '@po/runtime';
import { inPipelineTrace, pipelineAttributes, traceIdOf } from '@po/telemetry';
import {
  checkTemplatePolicy,
  DEFAULT_TEMPLATE_POLICY,
  renderJob,
  TemplateError,
  type TemplatePolicy,
  validateConfig,
} from '@po/templates';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { ApiError, errors } from '../errors/api-error.ts';
import { getTenantPipeline } from '../store/pipelines.ts';
import type { TemplateCatalog } from '../store/templates.ts';
import type { Clock, Logger, Principal } from '../types.ts';
import { Batcher, type BatcherOptions } from './batcher.ts';
import { checkConfigBounds } from './bounds.ts';
import type { QueueGuard } from './queue-guard.ts';
import { type Limits, neverFits } from './resource-fit.ts';

export interface PipelineServiceDeps {
  db: Kysely<Database>;
  subjects: Subjects;
  templates: TemplateCatalog;
  /** Namespace every Job of this deployment runs in. */
  namespace: string;
  clock: Clock;
  /**
   * Group commit of creates: concurrent creates share one insert statement and one commit
   * (see Batcher). Defaults: up to 64 rows, 4 batches at once, no linger.
   */
  batch?: Pick<BatcherOptions<unknown, unknown>, 'maxBatch' | 'maxInFlight' | 'lingerMs'>;
  /** Refuses creates of a tenant whose queue is at its max_queued. */
  queueGuard: QueueGuard;
  /** Image allow-list and Job count caps; a pipeline whose template is outside it is refused (400). */
  policy?: TemplatePolicy;
  /** A cancel ends a pipeline: counted with the others that finish (po_pipelines_finished_total). */
  pipelineMetrics?: PipelineMetrics;
  /** SCHEDULER_MAX_CPU / SCHEDULER_MAX_MEMORY: a pipeline above them could never run (400). */
  globalLimits?: Limits;
  /** One line per pipeline state change the gateway makes (create, cancel, restart). */
  logger?: Logger;
}

export interface CreateResult {
  created: boolean;
  pipeline: Pipeline;
}

/** Describes the first zod issue as `field: why`, naming the field as the client spelled it. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'malformed request';
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return `${path ? `${path}: ` : ''}unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  return `${path || 'body'}: ${issue.message}`;
}

function requestHash(body: CreatePipelineRequest): string {
  return createHash('sha256').update(canonical(body)).digest('hex');
}

/** Key-order independent JSON, so equal bodies hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function activeTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

const tracer = trace.getTracer('gateway');

const spanAttributesOf = (p: Pipeline) =>
  pipelineAttributes({ pipelineId: p.id, attempt: p.attempt, tenant: p.tenant_id, template: p.template });

interface PendingInsert {
  row: NewPipeline;
  /** The request's audit row, written in the insert's statement. */
  audit: AuditEntry | undefined;
  /** The request's span, linked from the batch's span. */
  caller: Link | undefined;
}

/** How long a client refused for a full queue is told to wait (the queue drains as pipelines run). */
const QUEUE_FULL_RETRY_AFTER_S = 5;

function queueFull(limit: number): ApiError {
  return errors.quota(`queued pipelines (at most ${limit} waiting per tenant)`, QUEUE_FULL_RETRY_AFTER_S);
}

/** The operations shared by HTTP and NATS; every refusal is an ApiError. */
export class PipelineService {
  readonly #d: PipelineServiceDeps;
  readonly #inserts: Batcher<PendingInsert, InsertPipelineResult>;

  get policy(): TemplatePolicy {
    return this.#d.policy ?? DEFAULT_TEMPLATE_POLICY;
  }

  constructor(deps: PipelineServiceDeps) {
    this.#d = deps;
    this.#inserts = new Batcher({ ...deps.batch, run: (items) => this.#insertBatch(items) });
  }

  /**
   * One statement and one commit for the whole batch. It runs outside any caller's trace (a span of
   * its own, linked to each request); every row carries its own request's traceparent, which its
   * outbox messages continue.
   */
  #insertBatch(items: PendingInsert[]): Promise<PromiseSettledResult<InsertPipelineResult>[]> {
    const links = items.flatMap((i) => (i.caller ? [i.caller] : []));
    return context.with(ROOT_CONTEXT, () =>
      tracer.startActiveSpan(
        'insert pipelines',
        { links, attributes: { 'po.batch.size': items.length } },
        async (span) => {
          try {
            return await insertPipelines(
              this.#d.db,
              this.#d.subjects,
              items.map((i) => i.row),
              items.map((i) => i.audit),
            );
          } finally {
            span.end();
          }
        },
      ),
    );
  }

  /** Parses an untrusted body (the HTTP JSON or a NATS message) into a request. */
  parse(body: unknown): CreatePipelineRequest {
    const r = CreatePipelineRequest.safeParse(body);
    if (!r.success) throw errors.invalidConfig(describeIssues(r.error));
    const bound = checkConfigBounds(r.data.config);
    if (bound) throw errors.invalidConfig(bound);
    return r.data;
  }

  async create(
    principal: Principal,
    req: CreatePipelineRequest,
    opts: { idempotencyKey?: string | undefined; id?: string | undefined; audit?: AuditEntry } = {},
  ): Promise<CreateResult> {
    const name = templateNameOf(req.pipeline_type);
    const resolved = await this.#d.templates.resolve(principal.tenantId, name);
    if (!resolved) throw errors.invalidConfig(`pipeline_type: unknown template '${name}'`);
    if (typeof req.pipeline_type === 'string' && !resolved.builtin) {
      throw errors.invalidConfig(`pipeline_type: unknown template '${name}'`);
    }
    const t = resolved.template;
    // The policy may have tightened since a custom template was registered: refuse now, not at Job creation.
    const outside = checkTemplatePolicy(t, this.policy);
    if (outside.length > 0) throw errors.invalidConfig(`template '${t.name}': ${outside.join('; ')}`);
    const valid = validateConfig(t, req.config);
    if (!valid.ok) throw errors.invalidConfig(valid.message);
    const id = opts.id ?? randomUUID();
    let job: ReturnType<typeof renderJob>;
    try {
      job = renderJob(t, { pipelineId: id, config: valid.config });
    } catch (e) {
      if (e instanceof TemplateError) throw errors.templateError(e.message);
      throw e;
    }
    const requests = jobRequests(job);
    if (!requests) throw errors.invalidConfig('resources: a request is not a Kubernetes quantity');
    if (Math.max(requests.cpuMillis, requests.memoryBytes) > Number.MAX_SAFE_INTEGER)
      throw errors.invalidConfig('resources: the requests are larger than any cluster');
    await this.#checkFits(principal.tenantId, requests);
    const full = await this.#d.queueGuard.full(principal.tenantId);
    // A replay of an idempotent request that was accepted still gets its pipeline.
    if (full !== null && !(await this.#isReplay(principal.tenantId, opts.idempotencyKey)))
      throw queueFull(full);
    const hash = opts.idempotencyKey !== undefined ? requestHash(req) : null;
    const now = this.#d.clock.now();
    const caller = trace.getSpanContext(context.active());
    const row: NewPipeline = {
      id,
      tenant_id: principal.tenantId,
      pipeline_type: JSON.stringify(req.pipeline_type),
      template: t.name,
      template_version: t.version,
      config: JSON.stringify(valid.config),
      priority: req.priority,
      priority_rank: PRIORITY_RANK[req.priority],
      timeout_seconds: req.timeout_seconds ?? t.defaultTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      namespace: this.#d.namespace,
      job: JSON.stringify(job),
      status: 'Queued',
      reason: null,
      traceparent: activeTraceparent(),
      idempotency_key: opts.idempotencyKey ?? null,
      request_hash: hash,
      cpu_millis: requests.cpuMillis,
      memory_bytes: requests.memoryBytes,
      created_at: now,
      updated_at: now,
      queued_at: now,
    };
    const result = await this.#inserts.submit({
      row,
      audit: opts.audit,
      caller: caller ? { context: caller } : undefined,
    });
    if (result.created) {
      this.#logChange(result.pipeline, null, 'created');
      this.#d.queueGuard.added(principal.tenantId);
      return { created: true, pipeline: result.pipeline };
    }
    if (result.existing.request_hash !== hash) {
      throw new ApiError('InvalidState', 'Idempotency-Key was already used with a different request body');
    }
    return { created: false, pipeline: result.existing };
  }

  /** Refuses (400) a pipeline that could never fit its tenant's or the global CPU or memory quota. */
  async #checkFits(tenantId: string, requests: ResourceRequests): Promise<void> {
    const why = neverFits(
      requests,
      tenantId,
      await this.#d.queueGuard.resources(tenantId),
      this.#d.globalLimits ?? { maxCpuMillis: null, maxMemoryBytes: null },
    );
    if (why) throw errors.invalidConfig(why);
  }

  /** The fields every service logs a pipeline change with (`trace_id`: the pipeline's trace). */
  #logChange(p: Pipeline, from: string | null, reason: string | null): void {
    this.#d.logger?.info(
      {
        pipeline_id: p.id,
        tenant: p.tenant_id,
        attempt: p.attempt,
        trace_id: traceIdOf(p.traceparent),
        from,
        to: p.status,
        reason,
      },
      'pipeline transition',
    );
  }

  async #isReplay(tenantId: string, idempotencyKey: string | undefined): Promise<boolean> {
    if (idempotencyKey === undefined) return false;
    const row = await this.#d.db
      .selectFrom('pipelines')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    return row !== undefined;
  }

  async get(principal: Principal, id: string): Promise<Pipeline> {
    const p = await getTenantPipeline(this.#d.db, principal.tenantId, id);
    if (!p) throw errors.notFound();
    return p;
  }

  /** Queued or Running -> Cancelled; the db layer emits the finished message that cleans up. */
  async cancel(principal: Principal, id: string, audit?: AuditEntry): Promise<Pipeline> {
    const p = await this.get(principal, id);
    if (isTerminal(p.status)) throw errors.invalidState(p.status);
    // The request is a trace of its own; the cancel and the cleanup it causes go on in the pipeline's.
    const r = await inPipelineTrace('cancel pipeline', p.traceparent, spanAttributesOf(p), () =>
      transition(this.#d.db, this.#d.subjects, {
        pipelineId: p.id,
        tenantId: principal.tenantId,
        to: 'Cancelled',
        reason: `cancelled by ${principal.actor}`,
        ...(audit ? { audit } : {}),
      }),
    );
    this.#d.pipelineMetrics?.transitioned(r);
    if (r.ok) {
      this.#logChange(r.pipeline, r.from, r.pipeline.reason);
      return r.pipeline;
    }
    if (!r.current) throw errors.notFound();
    throw errors.invalidState(r.current.status);
  }

  /** A terminal pipeline -> Queued as a new attempt with the same config (within max_queued, like a create). */
  async restart(principal: Principal, id: string, audit?: AuditEntry): Promise<Pipeline> {
    const p = await this.get(principal, id);
    if (!isTerminal(p.status)) throw errors.invalidState(p.status);
    const image = (p.job as { image?: unknown } | null)?.image;
    if (typeof image === 'string' && !imageAllowed(image, this.policy.imageAllowList))
      throw errors.invalidConfig(`image: '${image}' is not in the image allow-list`);
    await this.#checkFits(principal.tenantId, {
      cpuMillis: Number(p.cpu_millis),
      memoryBytes: Number(p.memory_bytes),
    });
    const full = await this.#d.queueGuard.full(principal.tenantId);
    if (full !== null) throw queueFull(full);
    // The new attempt continues the pipeline's trace; the request links to it.
    const r = await inPipelineTrace('restart pipeline', p.traceparent, spanAttributesOf(p), () =>
      transition(this.#d.db, this.#d.subjects, {
        pipelineId: p.id,
        tenantId: principal.tenantId,
        to: 'Queued',
        reason: `restarted by ${principal.actor}`,
        ...(audit ? { audit } : {}),
      }),
    );
    if (r.ok) {
      this.#logChange(r.pipeline, r.from, r.pipeline.reason);
      this.#d.queueGuard.added(principal.tenantId);
      return r.pipeline;
    }
    if (!r.current) throw errors.notFound();
    throw errors.invalidState(r.current.status);
  }
}
