import { cpuMillis, memoryBytes } from '@po/contracts';
import { type Database, getTenantQuota, tenantQuotaUsage } from '@po/db';
import type { Kysely } from 'kysely';
import type { Clock } from '../types.ts';

interface Seen {
  queued: number;
  limit: number;
  /** The tenant's CPU (millicores) and memory (bytes) quotas; null: none. */
  maxCpuMillis: number | null;
  maxMemoryBytes: number | null;
  at: number;
}

export interface ResourceLimits {
  maxCpuMillis: number | null;
  maxMemoryBytes: number | null;
}

/**
 * Backpressure per tenant: whether a tenant may add one more pipeline to the queue, i.e. has fewer
 * than its max_queued waiting. The count and the limit are read at most once per `refreshMs` per
 * tenant (one indexed count, off the hot path of most requests) and the pipelines this gateway
 * creates meanwhile are added to it, so one replica overshoots by at most what other replicas
 * create in that window.
 */
export class QueueGuard {
  readonly #seen = new Map<string, Seen>();
  readonly #loading = new Map<string, Promise<Seen>>();
  readonly #db: Kysely<Database>;
  readonly #defaultMaxQueued: number;
  readonly #defaultResources: ResourceLimits;
  readonly #clock: Clock;
  readonly #refreshMs: number;

  constructor(opts: {
    db: Kysely<Database>;
    defaultMaxQueued: number;
    /** TENANT_MAX_CPU / TENANT_MAX_MEMORY in base units; undefined: none. */
    defaultMaxCpuMillis?: number | undefined;
    defaultMaxMemoryBytes?: number | undefined;
    clock: Clock;
    refreshMs?: number;
  }) {
    this.#db = opts.db;
    this.#defaultMaxQueued = opts.defaultMaxQueued;
    this.#defaultResources = {
      maxCpuMillis: opts.defaultMaxCpuMillis ?? null,
      maxMemoryBytes: opts.defaultMaxMemoryBytes ?? null,
    };
    this.#clock = opts.clock;
    this.#refreshMs = opts.refreshMs ?? 1_000;
  }

  /** The tenant's limit when it is reached, else null. */
  async full(tenantId: string): Promise<number | null> {
    const s = await this.#current(tenantId);
    return s.queued >= s.limit ? s.limit : null;
  }

  /** The tenant's CPU and memory quotas (its own, else the defaults), read as rarely as the queue length. */
  async resources(tenantId: string): Promise<ResourceLimits> {
    const s = await this.#current(tenantId);
    return { maxCpuMillis: s.maxCpuMillis, maxMemoryBytes: s.maxMemoryBytes };
  }

  /** Counts a pipeline this gateway just queued for the tenant. */
  added(tenantId: string): void {
    const s = this.#seen.get(tenantId);
    if (s) s.queued += 1;
  }

  /** Forgets what it read of a tenant (its quota changed). */
  forget(tenantId: string): void {
    this.#seen.delete(tenantId);
  }

  #current(tenantId: string): Promise<Seen> | Seen {
    const s = this.#seen.get(tenantId);
    if (s && this.#clock.now().getTime() - s.at < this.#refreshMs) return s;
    let loading = this.#loading.get(tenantId);
    if (!loading) {
      loading = this.#load(tenantId).finally(() => this.#loading.delete(tenantId));
      this.#loading.set(tenantId, loading);
    }
    return loading;
  }

  async #load(tenantId: string): Promise<Seen> {
    const at = this.#clock.now().getTime();
    const [own, usage] = await Promise.all([
      getTenantQuota(this.#db, tenantId),
      tenantQuotaUsage(this.#db, tenantId),
    ]);
    const seen = {
      queued: usage.queued,
      limit: own.maxQueued ?? this.#defaultMaxQueued,
      maxCpuMillis: own.maxCpu ? cpuMillis(own.maxCpu) : this.#defaultResources.maxCpuMillis,
      maxMemoryBytes: own.maxMemory ? memoryBytes(own.maxMemory) : this.#defaultResources.maxMemoryBytes,
      at,
    };
    this.#seen.set(tenantId, seen);
    return seen;
  }
}
