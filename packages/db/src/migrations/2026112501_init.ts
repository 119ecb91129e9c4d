import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving schema type
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table pipelines (
      id uuid primary key,
      tenant_id text not null default 'default',
      pipeline_type jsonb not null,
      template text not null,
      template_version integer not null,
      config jsonb not null,
      priority text not null check (priority in ('Low','Normal','High','Critical')),
      priority_rank smallint not null,
      timeout_seconds integer not null check (timeout_seconds > 0),
      namespace text not null,
      job jsonb not null,
      status text not null check (status in ('Queued','Running','Succeeded','Failed','Timeout','Cancelled')),
      reason text,
      attempt integer not null default 1,
      max_attempts integer not null default 1,
      admitted_at timestamptz,
      traceparent text,
      idempotency_key text,
      request_hash text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      queued_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      unique (tenant_id, idempotency_key)
    );
    create index pipelines_queue on pipelines (priority_rank desc, queued_at, id)
      where status = 'Queued' and admitted_at is null;
    create index pipelines_tenant_created on pipelines (tenant_id, created_at desc, id desc);
    create index pipelines_active on pipelines (status) where status in ('Queued','Running');

    create table pipeline_attempts (
      pipeline_id uuid not null references pipelines(id) on delete cascade,
      attempt integer not null,
      job_name text not null,
      namespace text not null,
      admitted_at timestamptz not null default now(),
      job_created_at timestamptz,
      started_at timestamptz,
      finished_at timestamptz,
      status text,
      exit_code integer,
      reason text,
      logs_captured_at timestamptz,
      logs_bytes integer not null default 0,
      logs_truncated boolean not null default false,
      job_deleted_at timestamptz,
      primary key (pipeline_id, attempt)
    );

    create table pipeline_events (
      id bigserial primary key,
      pipeline_id uuid not null references pipelines(id) on delete cascade,
      attempt integer not null,
      kind text not null,
      from_status text,
      to_status text,
      reason text,
      at timestamptz not null default now()
    );
    create index pipeline_events_pipeline on pipeline_events (pipeline_id, id);

    create table pipeline_logs (
      id bigserial primary key,
      pipeline_id uuid not null references pipelines(id) on delete cascade,
      attempt integer not null,
      pod_name text not null,
      ts timestamptz,
      line text not null
    );
    create index pipeline_logs_pipeline on pipeline_logs (pipeline_id, attempt, id);

    create table outbox (
      id bigserial primary key,
      msg_id text not null unique,
      subject text not null,
      payload jsonb not null,
      headers jsonb not null default '{}',
      created_at timestamptz not null default now(),
      published_at timestamptz
    );
    create index outbox_unpublished on outbox (id) where published_at is null;
    create function outbox_notify() returns trigger language plpgsql as $$
      begin perform pg_notify('outbox', NEW.id::text); return NEW; end $$;
    create trigger outbox_notify after insert on outbox for each row execute function outbox_notify();

    create table templates (
      name text not null,
      version integer not null,
      spec jsonb not null,
      tenant_id text,
      created_at timestamptz not null default now(),
      deleted_at timestamptz,
      primary key (name, version)
    );

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      tenant_id text not null,
      role text not null check (role in ('admin','submitter','viewer')),
      name text not null,
      key_hash text not null unique,
      created_at timestamptz not null default now(),
      revoked_at timestamptz
    );

    create table audit_log (
      id bigserial primary key,
      at timestamptz not null default now(),
      actor text not null,
      tenant_id text,
      action text not null,
      target text,
      request_id text,
      client_addr text,
      outcome text not null,
      details jsonb
    );
  `.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table audit_log; drop table api_keys; drop table templates;
    drop trigger outbox_notify on outbox; drop function outbox_notify(); drop table outbox;
    drop table pipeline_logs; drop table pipeline_events; drop table pipeline_attempts; drop table pipelines;
  `.execute(db);
}
