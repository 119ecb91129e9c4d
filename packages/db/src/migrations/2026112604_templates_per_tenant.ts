import { type Kysely, sql } from 'kysely';

// Custom templates belong to a tenant: two tenants may each register a template of the same name
// (the key was (name, version), so the second tenant's registration collided with the first's).
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    update templates set tenant_id = 'default' where tenant_id is null;
    alter table templates alter column tenant_id set not null;
    alter table templates drop constraint templates_pkey;
    alter table templates add primary key (tenant_id, name, version);
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    alter table templates drop constraint templates_pkey;
    alter table templates add primary key (name, version);
    alter table templates alter column tenant_id drop not null;
  `.execute(db);
}
