/**
 * The typed client of the Pipeline Operator API: every endpoint of the gateway's OpenAPI document
 * (types generated from it), errors as PoApiError with the seed's kinds, lists paged through the
 * `Link` header, logs followed over SSE, and waiting for a pipeline to end.
 */
import createFetchClient, { type Client as FetchClient } from 'openapi-fetch';
import { errorFromResponse, WaitTimeoutError } from './errors.ts';
import { type FollowOptions, followLogs, type LogEvent, sleep } from './follow.ts';
import type { components, paths } from './generated/api.ts';
import { nextPageQuery } from './link.ts';

type Schemas = components['schemas'];
export type Pipeline = Schemas['Pipeline'];
export type PipelineDetail = Schemas['PipelineDetail'];
export type PipelineEvent = Schemas['PipelineEvent'];
export type PipelineLogs = Schemas['PipelineLogs'];
export type Template = Schemas['Template'];
export type ApiKey = Schemas['ApiKey'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type TenantQuota = Schemas['TenantQuota'];
export type DeadLetter = Schemas['DeadLetter'];
export type DeadLetterReplay = Schemas['DeadLetterReplay'];
export type WhoAmI = Schemas['WhoAmI'];
export type TemplateVersion = Schemas['TemplateVersion'];
export type PipelineStatus = Pipeline['status'];
export type CreatePipelineRequest = paths['/pipelines']['post']['requestBody']['content']['application/json'];
export type ListPipelinesQuery = NonNullable<paths['/pipelines']['get']['parameters']['query']>;
export type LogsQuery = Omit<
  NonNullable<paths['/pipelines/{id}/logs']['get']['parameters']['query']>,
  'follow'
>;
export type TemplateSpec = Schemas['TemplateSpec'];
export type CreateKeyRequest = paths['/keys']['post']['requestBody']['content']['application/json'];
export type SetQuotaRequest = paths['/quotas/{tenant}']['put']['requestBody']['content']['application/json'];

export const TERMINAL: readonly PipelineStatus[] = ['Succeeded', 'Failed', 'Timeout', 'Cancelled'];

export interface ClientOptions {
  /** The gateway, e.g. http://127.0.0.1:8080. */
  baseUrl: string;
  apiKey?: string | undefined;
  fetch?: typeof globalThis.fetch;
}

export interface Page<T> {
  items: T[];
  /** The query of the next page (from the `Link` header), absent on the last page. */
  next: Record<string, string> | undefined;
}

export interface WaitOptions {
  /** Give up (WaitTimeoutError) after this long; the pipeline itself goes on. Default: no limit. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How often to look; default 500 ms. */
  pollMs?: number;
  /** Called with every status seen that differs from the previous one. */
  onStatus?: (p: PipelineDetail) => void;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

function unwrap<T>(r: Result<T>): T {
  if (!r.response.ok) throw errorFromResponse(r.response, r.error);
  return r.data as T;
}

export class PoClient {
  readonly baseUrl: string;
  readonly #api: FetchClient<paths>;
  readonly #fetch: typeof globalThis.fetch;
  readonly #auth: Record<string, string>;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#auth = opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
    this.#api = createFetchClient<paths>({ baseUrl: this.baseUrl, headers: this.#auth, fetch: this.#fetch });
  }

  // ---- pipelines ----

  /** POST /pipelines; with an idempotency key, a replay answers the pipeline it first created. */
  async createPipeline(
    body: CreatePipelineRequest,
    opts: { idempotencyKey?: string } = {},
  ): Promise<Pipeline> {
    return unwrap(
      await this.#api.POST('/pipelines', {
        body,
        params: { header: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {} },
      }),
    );
  }

  /** One page of GET /pipelines, newest first. */
  async listPipelines(query: ListPipelinesQuery = {}): Promise<Page<Pipeline>> {
    const r = await this.#api.GET('/pipelines', { params: { query } });
    return { items: unwrap(r), next: nextPageQuery(r.response.headers.get('link')) };
  }

  /** Every pipeline matching `query`, page after page through the `Link` header. */
  pipelines(query: ListPipelinesQuery = {}): AsyncGenerator<Pipeline, void, undefined> {
    return paged(query, (q) => this.listPipelines(q as ListPipelinesQuery));
  }

  async getPipeline(id: string): Promise<PipelineDetail> {
    return unwrap(await this.#api.GET('/pipelines/{id}', { params: { path: { id } } }));
  }

  async cancelPipeline(id: string): Promise<Pipeline> {
    return unwrap(await this.#api.POST('/pipelines/{id}/cancel', { params: { path: { id } } }));
  }

  async restartPipeline(id: string): Promise<Pipeline> {
    return unwrap(await this.#api.POST('/pipelines/{id}/restart', { params: { path: { id } } }));
  }

  async events(id: string): Promise<PipelineEvent[]> {
    return unwrap(await this.#api.GET('/pipelines/{id}/events', { params: { path: { id } } }));
  }

  /**
   * The stored logs (GET …/logs without follow). Complete once every attempt says `captured`: right
   * after a pipeline ends its last lines may still be on their way (followLogs waits for them).
   */
  async logs(id: string, query: LogsQuery = {}): Promise<PipelineLogs> {
    return unwrap(
      await this.#api.GET('/pipelines/{id}/logs', {
        params: { path: { id }, query },
        parseAs: 'json',
      }),
    ) as PipelineLogs;
  }

  /**
   * Live logs: backlog first, then lines as the pod writes them, until the pipeline ends (`end`).
   * A dropped connection is resumed with Last-Event-ID (a `reconnect` event says so).
   */
  followLogs(id: string, opts: FollowOptions = {}): AsyncGenerator<LogEvent, void, undefined> {
    const url = `${this.baseUrl}/pipelines/${encodeURIComponent(id)}/logs`;
    return followLogs(
      {
        open: (q, headers, signal) =>
          this.#fetch(`${url}?${q}`, { headers: { ...this.#auth, ...headers }, signal }),
      },
      opts,
    );
  }

  /** Resolves with the pipeline once it is Succeeded, Failed, Timeout or Cancelled. */
  async waitForTerminal(id: string, opts: WaitOptions = {}): Promise<PipelineDetail> {
    const timeout = opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs);
    const signals = [opts.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    let last: PipelineStatus | undefined;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const p = await this.getPipeline(id);
        if (p.status !== last) {
          last = p.status;
          opts.onStatus?.(p);
        }
        if (TERMINAL.includes(p.status)) return p;
        await sleep(opts.pollMs ?? 500, signal);
      }
    } catch (err) {
      if (timeout?.aborted && !opts.signal?.aborted)
        throw new WaitTimeoutError(id, opts.timeoutMs ?? 0, last);
      throw err;
    }
  }

  // ---- templates ----

  async listTemplates(): Promise<Template[]> {
    return unwrap(await this.#api.GET('/templates'));
  }

  async getTemplate(name: string): Promise<Template> {
    return unwrap(await this.#api.GET('/templates/{name}', { params: { path: { name } } }));
  }

  /** POST /templates: register a new custom template (admin). */
  async createTemplate(spec: TemplateSpec): Promise<Template> {
    return unwrap(await this.#api.POST('/templates', { body: spec }));
  }

  /** PUT /templates/{name}: register it, or a new version of it (admin). */
  async applyTemplate(name: string, spec: TemplateSpec): Promise<{ template: Template; created: boolean }> {
    const r = await this.#api.PUT('/templates/{name}', { params: { path: { name } }, body: spec });
    return { template: unwrap(r), created: r.response.status === 201 };
  }

  /** Every version of a template, newest first (retired ones too). */
  async templateVersions(name: string): Promise<TemplateVersion[]> {
    return unwrap(await this.#api.GET('/templates/{name}/versions', { params: { path: { name } } }));
  }

  async templateVersion(name: string, version: number): Promise<TemplateVersion> {
    return unwrap(
      await this.#api.GET('/templates/{name}/versions/{version}', {
        params: { path: { name, version: String(version) } },
      }),
    );
  }

  async deleteTemplate(name: string): Promise<void> {
    unwrap(await this.#api.DELETE('/templates/{name}', { params: { path: { name } } }));
  }

  // ---- keys, quotas, operations ----

  /** GET /whoami: the key's tenant, role, id and name (any role). */
  async whoami(): Promise<WhoAmI> {
    return unwrap(await this.#api.GET('/whoami'));
  }

  async createKey(body: CreateKeyRequest): Promise<CreatedApiKey> {
    return unwrap(await this.#api.POST('/keys', { body }));
  }

  async listKeys(): Promise<ApiKey[]> {
    return unwrap(await this.#api.GET('/keys'));
  }

  async revokeKey(id: string): Promise<void> {
    unwrap(await this.#api.DELETE('/keys/{id}', { params: { path: { id } } }));
  }

  async quota(): Promise<TenantQuota> {
    return unwrap(await this.#api.GET('/quota'));
  }

  /** PUT /quotas/{tenant} (the operator). */
  async setQuota(tenant: string, body: SetQuotaRequest): Promise<TenantQuota> {
    return unwrap(await this.#api.PUT('/quotas/{tenant}', { params: { path: { tenant } }, body }));
  }

  async listDeadLetters(query: { limit?: number; cursor?: string } = {}): Promise<Page<DeadLetter>> {
    const r = await this.#api.GET('/dead-letters', { params: { query } });
    return { items: unwrap(r), next: nextPageQuery(r.response.headers.get('link')) };
  }

  deadLetters(query: { limit?: number } = {}): AsyncGenerator<DeadLetter, void, undefined> {
    return paged(query, (q) => this.listDeadLetters(q));
  }

  /** POST /dead-letters/{id}/replay (operators): replays it keeping its message id; a second replay changes nothing. */
  async replayDeadLetter(id: string): Promise<DeadLetterReplay> {
    return unwrap(await this.#api.POST('/dead-letters/{id}/replay', { params: { path: { id } } }));
  }

  /** DELETE /dead-letters/{id} (operators). */
  async deleteDeadLetter(id: string): Promise<void> {
    unwrap(await this.#api.DELETE('/dead-letters/{id}', { params: { path: { id } } }));
  }

  async health(): Promise<paths['/health']['get']['responses'][200]['content']['application/json']> {
    return unwrap(await this.#api.GET('/health'));
  }

  /** GET /ready: the checks, whether ready (200) or not (503). */
  async ready(): Promise<{ ready: boolean; status: string; checks: Record<string, string> }> {
    const r = await this.#api.GET('/ready');
    const body = (r.data ?? r.error) as { status: string; checks: Record<string, string> } | undefined;
    if (r.response.status !== 200 && r.response.status !== 503) throw errorFromResponse(r.response, r.error);
    return { ready: r.response.status === 200, status: body?.status ?? '', checks: body?.checks ?? {} };
  }

  /** The gateway's OpenAPI document, as served. */
  async openApiDocument(): Promise<Record<string, unknown>> {
    const res = await this.#fetch(`${this.baseUrl}/openapi.json`);
    const body = await res.json().catch(() => undefined);
    if (!res.ok) throw errorFromResponse(res, body);
    return body as Record<string, unknown>;
  }
}

async function* paged<T, Q extends object>(
  first: Q,
  fetchPage: (q: Q | Record<string, string>) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let q: Q | Record<string, string> | undefined = first;
  while (q !== undefined) {
    const page = await fetchPage(q);
    yield* page.items;
    q = page.next;
  }
}

export function createClient(opts: ClientOptions): PoClient {
  return new PoClient(opts);
}
