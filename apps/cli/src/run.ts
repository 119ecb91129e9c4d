/** The `po` command: parse, run one command, map what happened to an exit code. */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { createClient, isPoApiError, type PoClient } from '@po/client';
import type { Command } from './command.ts';
import { adminCommands } from './commands/admin.ts';
import { pipelineCommands } from './commands/pipelines.ts';
import { resolveConnection } from './config.ts';
import { EXIT, UsageError } from './errors.ts';
import type { Io } from './output.ts';

const COMMANDS: Command[] = [...pipelineCommands, ...adminCommands];

const GLOBAL: ParseArgsOptionsConfig = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: po <command> [arguments] [options]

${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command takes --url URL (or PO_URL), --api-key KEY (or PO_API_KEY), --config FILE (or PO_CONFIG;
default ~/.config/po/config.json: {"url": "...", "api_key": "..."}), --json and -h/--help.
Exit status: 0 success, 1 the pipeline did not succeed, 2 usage error, 3 API error.
`;
}

const usageOf = (c: Command) => `usage: po ${c.name} ${c.usage}`;

/** The command named by the first word (or two, for a group like `templates list`). */
function find(argv: string[]): { command: Command; rest: string[] } | undefined {
  const two = COMMANDS.find((c) => c.name === `${argv[0]} ${argv[1]}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === argv[0]);
  return one ? { command: one, rest: argv.slice(1) } : undefined;
}

export async function run(argv: string[], io: Io): Promise<number> {
  let command: Command | undefined;
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      if (argv.length === 0) {
        io.stderr.write(help());
        return EXIT.usage;
      }
      io.stdout.write(help());
      return EXIT.ok;
    }
    const found = find(argv);
    if (!found) {
      const group = COMMANDS.filter((c) => c.name.startsWith(`${argv[0]} `)).map((c) => c.name);
      throw new UsageError(
        group.length > 0
          ? `po ${argv[0]}: one of ${group.join(', ')}`
          : `unknown command ${JSON.stringify(argv[0])}`,
      );
    }
    command = found.command;
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: found.rest,
        options: { ...GLOBAL, ...command.options },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(`${usageOf(command)}\n  ${command.summary}\n`);
      return EXIT.ok;
    }
    const min = command.args ?? 0;
    const max = command.maxArgs ?? min;
    if (positionals.length < min || positionals.length > max)
      throw new UsageError(
        positionals.length < min
          ? 'missing argument'
          : `unexpected argument ${JSON.stringify(positionals[max])}`,
      );
    let client: PoClient | undefined;
    const ctx = {
      io,
      json: values.json === true,
      values,
      args: positionals,
      client: () => {
        if (client) return client;
        const conn = resolveConnection({
          flags: {
            url: values.url as string | undefined,
            apiKey: values['api-key'] as string | undefined,
            config: values.config as string | undefined,
          },
          env: io.env,
        });
        client = createClient({ baseUrl: conn.url, apiKey: conn.apiKey });
        return client;
      },
    };
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(
        `po: ${err.message}\n${command ? usageOf(command) : 'run `po --help` for the commands'}\n`,
      );
      return EXIT.usage;
    }
    if (isPoApiError(err)) {
      const retry = err.retryAfterSeconds ? ` (retry after ${err.retryAfterSeconds}s)` : '';
      io.stderr.write(`po: ${err.type} (HTTP ${err.status}): ${err.message}${retry}\n`);
      return EXIT.api;
    }
    const cause = (err as { cause?: { message?: string; code?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    io.stderr.write(`po: ${(err as Error).message ?? String(err)}${detail ? ` (${detail})` : ''}\n`);
    return EXIT.api;
  }
}
