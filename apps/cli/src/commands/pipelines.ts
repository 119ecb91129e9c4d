/** submit, list, get, logs, events, cancel, restart. */
import type { ListPipelinesQuery, Pipeline, PipelineDetail, PoClient } from '@po/client';
import { WaitTimeoutError } from '@po/client';
import { type Command, type Ctx, int, str } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { json, Progress, table } from '../output.ts';
import { buildRequest } from '../request.ts';

const usage = (m: string) => new UsageError(m);

const typeOf = (p: Pipeline) =>
  typeof p.pipeline_type === 'string' ? p.pipeline_type : `Custom:${p.pipeline_type.Custom.template}`;

/** Waits for the end with live status on stderr; the exit status is the pipeline's. */
async function waitAndReport(ctx: Ctx, client: PoClient, id: string): Promise<number> {
  const timeout = int(ctx.values['wait-timeout'], 'wait-timeout', usage);
  const progress = new Progress(ctx.io.stderr);
  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  let final: PipelineDetail;
  try {
    final = await client.waitForTerminal(id, {
      signal: ac.signal,
      ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
      onStatus: (p) =>
        progress.update(
          `${id} ${p.status}${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}${p.reason ? `: ${p.reason}` : ''}`,
        ),
    });
  } catch (err) {
    progress.done();
    if (err instanceof WaitTimeoutError) {
      ctx.io.stderr.write(`po: ${err.message}\n`);
      return EXIT.pipelineFailed;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  progress.done();
  if (ctx.json) ctx.io.stdout.write(json(final));
  else ctx.io.stdout.write(`${id} ${final.status}${final.reason ? `: ${final.reason}` : ''}\n`);
  return final.status === 'Succeeded' ? EXIT.ok : EXIT.pipelineFailed;
}

const waitOptions = {
  wait: { type: 'boolean', short: 'w' },
  'wait-timeout': { type: 'string' },
} as const;

export const pipelineCommands: Command[] = [
  {
    name: 'submit',
    usage:
      '[file.json|yaml] [--type T | --template NAME] [--config JSON] [--set k=v]... [--priority P] [--timeout S] [--idempotency-key K] [--wait [--wait-timeout S]]',
    summary: 'submit a pipeline (flags, or a JSON/YAML request file); --wait follows it to the end',
    options: {
      type: { type: 'string', short: 't' },
      template: { type: 'string' },
      config: { type: 'string', short: 'c' },
      set: { type: 'string', multiple: true, short: 's' },
      priority: { type: 'string', short: 'p' },
      timeout: { type: 'string' },
      'idempotency-key': { type: 'string' },
      ...waitOptions,
    },
    maxArgs: 1,
    async run(ctx) {
      const v = ctx.values;
      const path = ctx.args[0];
      let file: { text: string; name: string } | undefined;
      if (path !== undefined) {
        try {
          file = { text: ctx.io.readFile(path), name: path };
        } catch (err) {
          throw new UsageError(`${path}: ${(err as Error).message}`);
        }
      }
      const body = buildRequest(
        {
          type: str(v.type),
          template: str(v.template),
          config: str(v.config),
          set: v.set as string[] | undefined,
          priority: str(v.priority),
          timeout: str(v.timeout),
        },
        file,
      );
      const client = ctx.client();
      const key = str(v['idempotency-key']);
      const p = await client.createPipeline(body, key ? { idempotencyKey: key } : {});
      if (v.wait) {
        ctx.io.stderr.write(`submitted ${p.id} (${p.job_name})\n`);
        return waitAndReport(ctx, client, p.id);
      }
      ctx.io.stdout.write(ctx.json ? json(p) : `${p.id}\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'list',
    usage:
      '[--status S] [--type T] [--template NAME] [--priority P] [--created-after ISO] [--created-before ISO] [--limit N] [--all] [--json]',
    summary: 'pipelines, newest first (one page of --limit, or --all pages)',
    options: {
      status: { type: 'string' },
      type: { type: 'string' },
      template: { type: 'string' },
      priority: { type: 'string' },
      'created-after': { type: 'string' },
      'created-before': { type: 'string' },
      limit: { type: 'string', short: 'n' },
      all: { type: 'boolean' },
    },
    async run(ctx) {
      const v = ctx.values;
      const limit = int(v.limit, 'limit', usage) ?? 20;
      const query = Object.fromEntries(
        Object.entries({
          status: str(v.status),
          pipeline_type: str(v.type),
          template: str(v.template),
          priority: str(v.priority),
          created_after: str(v['created-after']),
          created_before: str(v['created-before']),
          limit,
        }).filter(([, x]) => x !== undefined),
      ) as ListPipelinesQuery;
      const client = ctx.client();
      const items: Pipeline[] = [];
      if (v.all) for await (const p of client.pipelines(query)) items.push(p);
      else items.push(...(await client.listPipelines(query)).items);
      if (ctx.json) ctx.io.stdout.write(json(items));
      else
        ctx.io.stdout.write(
          table(
            ['ID', 'STATUS', 'TYPE', 'PRIORITY', 'ATTEMPT', 'CREATED', 'REASON'],
            items.map((p) => [p.id, p.status, typeOf(p), p.priority, p.attempt, p.created_at, p.reason]),
          ),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'get',
    usage: '<id> [--json]',
    summary: 'a pipeline with its attempts and timing',
    args: 1,
    async run(ctx) {
      const p = await ctx.client().getPipeline(ctx.args[0] ?? '');
      if (ctx.json) {
        ctx.io.stdout.write(json(p));
        return EXIT.ok;
      }
      const t = p.timing;
      ctx.io.stdout.write(
        table(
          ['FIELD', 'VALUE'],
          [
            ['id', p.id],
            ['status', p.status],
            ['reason', p.reason],
            ['type', typeOf(p)],
            ['template', `${p.template} v${p.template_version}`],
            ['priority', p.priority],
            ['timeout', `${p.timeout_seconds}s`],
            ['attempt', `${p.attempt} of at most ${p.max_attempts}`],
            ['job', `${p.namespace}/${p.job_name}`],
            ['created', t.created_at],
            ['queued for', t.queue_seconds === null ? null : `${t.queue_seconds}s`],
            ['ran for', t.run_seconds === null ? null : `${t.run_seconds}s`],
            ['config', JSON.stringify(p.config)],
          ],
        ).replace(/^FIELD.*\n/, ''),
      );
      if (p.attempts.length > 0)
        ctx.io.stdout.write(
          `\n${table(
            ['ATTEMPT', 'STATUS', 'JOB', 'STARTED', 'FINISHED', 'EXIT', 'REASON'],
            p.attempts.map((a) => [
              a.attempt,
              a.status,
              a.job_name,
              a.started_at,
              a.finished_at,
              a.exit_code,
              a.reason,
            ]),
          )}`,
        );
      return EXIT.ok;
    },
  },
  {
    name: 'logs',
    usage: '<id> [-f|--follow] [--attempt N] [--tail N] [--json]',
    summary: 'stored logs, or -f to follow them live until the pipeline ends',
    options: {
      follow: { type: 'boolean', short: 'f' },
      attempt: { type: 'string' },
      tail: { type: 'string' },
    },
    args: 1,
    async run(ctx) {
      const id = ctx.args[0] ?? '';
      const attempt = int(ctx.values.attempt, 'attempt', usage);
      const tail = int(ctx.values.tail, 'tail', usage);
      const q = { ...(attempt ? { attempt } : {}), ...(tail ? { tail } : {}) };
      const client = ctx.client();
      if (!ctx.values.follow) {
        const logs = await client.logs(id, q);
        if (ctx.json) ctx.io.stdout.write(json(logs));
        else for (const l of logs.lines) ctx.io.stdout.write(`${l.line}\n`);
        return EXIT.ok;
      }
      const ac = new AbortController();
      const onSigint = () => ac.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      try {
        for await (const ev of client.followLogs(id, { ...q, signal: ac.signal })) {
          if (ev.type === 'log')
            ctx.io.stdout.write(ctx.json ? `${JSON.stringify(ev.line)}\n` : `${ev.line.line}\n`);
          else if (ev.type === 'status') ctx.io.stderr.write(`-- ${id} ${ev.status}\n`);
          else if (ev.type === 'reconnect') ctx.io.stderr.write(`-- reconnecting (${ev.reason})\n`);
          else ctx.io.stderr.write(`-- ${id} ended ${ev.status}${ev.truncated ? ' (logs truncated)' : ''}\n`);
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
      return EXIT.ok;
    },
  },
  {
    name: 'events',
    usage: '<id> [--json]',
    summary: "a pipeline's history: every transition with reason and time",
    args: 1,
    async run(ctx) {
      const events = await ctx.client().events(ctx.args[0] ?? '');
      if (ctx.json) ctx.io.stdout.write(json(events));
      else
        ctx.io.stdout.write(
          table(
            ['AT', 'ATTEMPT', 'KIND', 'FROM', 'TO', 'REASON'],
            events.map((e) => [e.at, e.attempt, e.kind, e.from, e.to, e.reason]),
          ),
        );
      return EXIT.ok;
    },
  },
  {
    name: 'cancel',
    usage: '<id> [--json]',
    summary: 'cancel a queued or running pipeline',
    args: 1,
    async run(ctx) {
      const p = await ctx.client().cancelPipeline(ctx.args[0] ?? '');
      ctx.io.stdout.write(ctx.json ? json(p) : `${p.id} ${p.status}\n`);
      return EXIT.ok;
    },
  },
  {
    name: 'restart',
    usage: '<id> [--wait [--wait-timeout S]] [--json]',
    summary: 'run a finished pipeline again as a new attempt',
    options: waitOptions,
    args: 1,
    async run(ctx) {
      const client = ctx.client();
      const p = await client.restartPipeline(ctx.args[0] ?? '');
      if (ctx.values.wait) {
        ctx.io.stderr.write(`restarted ${p.id} as attempt ${p.attempt}\n`);
        return waitAndReport(ctx, client, p.id);
      }
      ctx.io.stdout.write(ctx.json ? json(p) : `${p.id} ${p.status} (attempt ${p.attempt})\n`);
      return EXIT.ok;
    },
  },
];
