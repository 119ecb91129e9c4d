/** templates, whoami, quota, keys, dead-letters. */
import type { TemplateSpec } from '@po/client';
import { type Command, type Ctx, int, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { json, table } from '../output.ts';
import { parseDocument } from '../request.ts';

const usage = (m: string) => new UsageError(m);

function readSpec(ctx: Ctx, path: string): Record<string, unknown> {
  let text: string;
  try {
    text = ctx.io.readFile(path);
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, path);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new UsageError(`${path}: must be an object`);
  return doc as Record<string, unknown>;
}

export const adminCommands: Command[] = [
  {
    name: 'templates list',
    usage: '[--json]',
    summary: 'built-in and custom templates',
    async run(ctx) {
      const ts = await ctx.client().listTemplates();
      if (ctx.json) ctx.io.stdout.write(json(ts));
      else
        ctx.io.stdout.write(
          table(
            ['NAME', 'VERSION', 'BUILTIN', 'IMAGE', 'DESCRIPTION'],
            ts.map((t) => [t.name, t.version, t.builtin ? 'yes' : 'no', t.image, t.description]),
          ),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'templates get',
    usage: '<name>',
    summary: 'one template (JSON)',
    args: 1,
    async run(ctx) {
      ctx.io.stdout.write(json(await ctx.client().getTemplate(ctx.args[0] ?? '')));
      return EXIT.ok;
    },
  },
  {
    name: 'templates apply',
    usage: '<file.json|yaml> [--name NAME] [--json]',
    summary: 'register a custom template, or a new version of it (admin)',
    options: { name: { type: 'string' } },
    args: 1,
    async run(ctx) {
      const spec = readSpec(ctx, ctx.args[0] ?? '');
      const name = str(ctx.values.name) ?? (typeof spec.name === 'string' ? spec.name : undefined);
      if (name === undefined) throw new UsageError('the template needs a "name" (in the file, or --name)');
      const r = await ctx.client().applyTemplate(name, { ...spec, name } as TemplateSpec);
      ctx.io.stdout.write(
        ctx.json
          ? json(r.template)
          : `${r.template.name} v${r.template.version} ${r.created ? 'created' : 'updated'}\n`,
      );
      return EXIT.ok;
    },
  },
  {
    name: 'templates delete',
    usage: '<name>',
    summary: 'retire a custom template (admin)',
    args: 1,
    async run(ctx) {
      await ctx.client().deleteTemplate(ctx.args[0] ?? '');
      ctx.io.stdout.write(`${ctx.args[0]} deleted\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'whoami',
    usage: '[--json]',
    summary: "the key's tenant and role, and the key itself",
    async run(ctx) {
      const w = await ctx.client().whoami();
      if (ctx.json) ctx.io.stdout.write(json(w));
      else
        ctx.io.stdout.write(
          table(['TENANT', 'ROLE', 'KEY', 'KEY ID'], [[w.tenant_id, w.role, w.key_name, w.key_id ?? '-']]),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'quota',
    usage: '[--json]',
    summary: "your tenant's quotas and how much of them is in use",
    async run(ctx) {
      const q = await ctx.client().quota();
      if (ctx.json) ctx.io.stdout.write(json(q));
      else
        ctx.io.stdout.write(
          table(
            ['TENANT', 'RUNNING', 'QUEUED'],
            [[q.tenant_id, `${q.running}/${q.max_running}`, `${q.queued}/${q.max_queued}`]],
          ),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'quota set',
    usage: '<tenant> [--max-running N|default] [--max-queued N|default] [--json]',
    summary: "set a tenant's quotas (the operator)",
    options: { 'max-running': { type: 'string' }, 'max-queued': { type: 'string' } },
    args: 1,
    async run(ctx) {
      const limit = (name: string) => {
        const v = ctx.values[name];
        return v === 'default' ? null : int(v, name, usage);
      };
      const q = await ctx.client().setQuota(ctx.args[0] ?? '', {
        max_running: limit('max-running'),
        max_queued: limit('max-queued'),
      });
      ctx.io.stdout.write(
        ctx.json ? json(q) : `${q.tenant_id}: max_running ${q.max_running}, max_queued ${q.max_queued}\n`,
      );
      return EXIT.ok;
    },
  },
  {
    name: 'keys list',
    usage: '[--json]',
    summary: "your tenant's API keys (admin)",
    async run(ctx) {
      const keys = await ctx.client().listKeys();
      if (ctx.json) ctx.io.stdout.write(json(keys));
      else
        ctx.io.stdout.write(
          table(
            ['ID', 'TENANT', 'ROLE', 'NAME', 'CREATED', 'REVOKED'],
            keys.map((k) => [k.id, k.tenant_id, k.role, k.name, k.created_at, k.revoked_at]),
          ),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'keys create',
    usage: '--name NAME --role admin|submitter|viewer [--tenant T] [--json]',
    summary: 'create an API key (admin); the key is printed once',
    options: { name: { type: 'string' }, role: { type: 'string' }, tenant: { type: 'string' } },
    async run(ctx) {
      const name = str(ctx.values.name);
      const role = str(ctx.values.role);
      if (!name || !role) throw new UsageError('keys create needs --name and --role');
      if (!['admin', 'submitter', 'viewer'].includes(role))
        throw new UsageError('--role: admin, submitter or viewer');
      const tenant = str(ctx.values.tenant);
      const k = await ctx.client().createKey({
        name,
        role: role as 'admin' | 'submitter' | 'viewer',
        ...(tenant ? { tenant_id: tenant } : {}),
      });
      ctx.io.stdout.write(ctx.json ? json(k) : `${k.key}\n`);
      if (!ctx.json)
        ctx.io.stderr.write(`key ${k.id} (${k.role} of ${k.tenant_id}); it is shown only once\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'keys revoke',
    usage: '<id>',
    summary: 'revoke an API key (admin)',
    args: 1,
    async run(ctx) {
      await ctx.client().revokeKey(ctx.args[0] ?? '');
      ctx.io.stdout.write(`${ctx.args[0]} revoked\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'dead-letters',
    usage: '[--limit N] [--json]',
    summary: 'dead-lettered bus messages, newest first (operator)',
    options: { limit: { type: 'string', short: 'n' } },
    async run(ctx) {
      const limit = int(ctx.values.limit, 'limit', usage) ?? 20;
      const page = await ctx.client().listDeadLetters({ limit });
      if (ctx.json) ctx.io.stdout.write(json(page.items));
      else
        ctx.io.stdout.write(
          table(
            ['SEQ', 'TIME', 'SUBJECT', 'DELIVERIES', 'REASON'],
            page.items.map((d) => [d.seq, d.time, d.original_subject, d.deliveries, d.reason]),
          ),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'dead-letters replay',
    usage: '<seq> [--json]',
    summary: 'replay a dead letter, keeping its message id (operator)',
    args: 1,
    async run(ctx) {
      const r = await ctx.client().replayDeadLetter(ctx.args[0] ?? '');
      const outcome = r.pipeline_id
        ? `pipeline ${r.pipeline_id} (${r.created ? 'created' : 'already existed'})`
        : r.duplicate
          ? 'dropped as a repeat of a replay moments ago'
          : `published on ${r.original_subject}`;
      ctx.io.stdout.write(ctx.json ? json(r) : `${r.seq} replayed via ${r.via}: ${outcome}\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'dead-letters delete',
    usage: '<seq>',
    summary: 'delete a dead letter (operator)',
    args: 1,
    async run(ctx) {
      await ctx.client().deleteDeadLetter(ctx.args[0] ?? '');
      ctx.io.stdout.write(`${ctx.args[0]} deleted\n`);
      return EXIT.ok;
    },
  },
];
