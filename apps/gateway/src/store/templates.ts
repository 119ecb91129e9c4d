import { type AuditEntry, type Database, recordAudit } from '@po/db';
import { type Template, TemplateSpec } from '@po/templates';
import type { Kysely } from 'kysely';
import type { Clock } from '../types.ts';

export interface ResolvedTemplate {
  template: Template;
  builtin: boolean;
  /** Tenant that registered it; null for built-ins. */
  tenantId: string | null;
}

/** A stored version of a template, with when it was registered and retired (null: built-in / live). */
export interface TemplateVersion extends ResolvedTemplate {
  createdAt: Date | null;
  retiredAt: Date | null;
}

/**
 * Built-in templates (in memory) and custom templates registered per tenant (table `templates`,
 * one row per version; the newest non-deleted version is current). Custom lookups are cached
 * briefly; writes through this catalog invalidate its own cache at once.
 */
export class TemplateCatalog {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #builtins: Map<string, Template>;
  readonly #cache = new Map<string, { at: number; value: ResolvedTemplate | null }>();
  readonly #cacheMs: number;

  constructor(db: Kysely<Database>, builtins: Template[], clock: Clock, cacheMs = 5_000) {
    this.#db = db;
    this.#clock = clock;
    this.#builtins = new Map(builtins.map((t) => [t.name, t]));
    this.#cacheMs = cacheMs;
  }

  isBuiltin(name: string): boolean {
    return this.#builtins.has(name);
  }

  async resolve(tenantId: string, name: string): Promise<ResolvedTemplate | null> {
    const b = this.#builtins.get(name);
    if (b) return { template: b, builtin: true, tenantId: null };
    const key = `${tenantId}\u0000${name}`;
    const now = this.#clock.now().getTime();
    const hit = this.#cache.get(key);
    if (hit && now - hit.at < this.#cacheMs) return hit.value;
    const row = await this.#db
      .selectFrom('templates')
      .select(['spec', 'version', 'tenant_id'])
      .where('name', '=', name)
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    const value = row ? this.#fromRow(row) : null;
    this.#cache.set(key, { at: now, value });
    return value;
  }

  async list(tenantId: string): Promise<ResolvedTemplate[]> {
    const rows = await this.#db
      .selectFrom('templates')
      .select(['spec', 'version', 'tenant_id', 'name'])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .orderBy('version', 'desc')
      .execute();
    const seen = new Set<string>();
    const custom: ResolvedTemplate[] = [];
    for (const r of rows) {
      if (seen.has(r.name)) continue;
      seen.add(r.name);
      const t = this.#fromRow(r);
      if (t) custom.push(t);
    }
    const builtins = [...this.#builtins.values()].map((t) => ({
      template: t,
      builtin: true,
      tenantId: null,
    }));
    return [...builtins, ...custom];
  }

  /**
   * Every stored version of a template, newest first, retired ones too (pipelines that ran with them
   * still name them); a built-in has its one version. Empty when there is no such template.
   */
  async versions(tenantId: string, name: string): Promise<TemplateVersion[]> {
    const b = this.#builtins.get(name);
    if (b) return [{ template: b, builtin: true, tenantId: null, createdAt: null, retiredAt: null }];
    const rows = await this.#db
      .selectFrom('templates')
      .select(['spec', 'version', 'tenant_id', 'created_at', 'deleted_at'])
      .where('name', '=', name)
      .where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc')
      .execute();
    return rows.flatMap((r) => {
      const t = this.#fromRow(r);
      return t ? [{ ...t, createdAt: r.created_at, retiredAt: r.deleted_at }] : [];
    });
  }

  /** One stored version (retired or not), or null. */
  async version(tenantId: string, name: string, version: number): Promise<TemplateVersion | null> {
    const b = this.#builtins.get(name);
    if (b)
      return b.version === version
        ? { template: b, builtin: true, tenantId: null, createdAt: null, retiredAt: null }
        : null;
    const r = await this.#db
      .selectFrom('templates')
      .select(['spec', 'version', 'tenant_id', 'created_at', 'deleted_at'])
      .where('name', '=', name)
      .where('tenant_id', '=', tenantId)
      .where('version', '=', version)
      .executeTakeFirst();
    const t = r ? this.#fromRow(r) : null;
    return r && t ? { ...t, createdAt: r.created_at, retiredAt: r.deleted_at } : null;
  }

  /** The next version number for a custom template (1 for a new name). */
  async nextVersion(tenantId: string, name: string): Promise<{ next: number; exists: boolean }> {
    const row = await this.#db
      .selectFrom('templates')
      .select((eb) => [eb.fn.max('version').as('max')])
      .where('name', '=', name)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    const live = await this.#db
      .selectFrom('templates')
      .select('version')
      .where('name', '=', name)
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return { next: (row?.max ?? 0) + 1, exists: live !== undefined };
  }

  /**
   * Stores version `t.version`; false when that version exists already (a concurrent registration
   * of the same name took it between nextVersion() and here).
   */
  async save(tenantId: string, t: Template, audit?: AuditEntry): Promise<boolean> {
    const saved = await this.#db.transaction().execute(async (trx) => {
      const r = await trx
        .insertInto('templates')
        .values({ name: t.name, version: t.version, spec: JSON.stringify(t), tenant_id: tenantId })
        .onConflict((oc) => oc.doNothing())
        .returning('version')
        .executeTakeFirst();
      if (r !== undefined && audit) await recordAudit(trx, audit);
      return r !== undefined;
    });
    this.#cache.delete(`${tenantId}\u0000${t.name}`);
    return saved;
  }

  /** Retires a custom template (with `audit`'s row in the same transaction); false when there is none. */
  async remove(tenantId: string, name: string, audit?: AuditEntry): Promise<boolean> {
    const removed = await this.#db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('templates')
        .set({ deleted_at: this.#clock.now() })
        .where('name', '=', name)
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      const done = Number(r.numUpdatedRows) > 0;
      if (done && audit) await recordAudit(trx, audit);
      return done;
    });
    this.#cache.delete(`${tenantId}\u0000${name}`);
    return removed;
  }

  #fromRow(row: { spec: Record<string, unknown>; version: number; tenant_id: string | null }) {
    const parsed = TemplateSpec.safeParse({ ...row.spec, version: row.version });
    if (!parsed.success) return null;
    return { template: parsed.data, builtin: false, tenantId: row.tenant_id };
  }
}
