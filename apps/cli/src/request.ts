/** A pipeline request from the command line: a JSON/YAML file, flags, or a file with flags on top. */
import type { CreatePipelineRequest } from '@po/client';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.ts';

export interface SubmitFlags {
  type?: string | undefined;
  template?: string | undefined;
  config?: string | undefined;
  set?: string[] | undefined;
  priority?: string | undefined;
  timeout?: string | undefined;
}

const BUILTIN = ['DataProcessing', 'ModelTraining', 'ETL', 'Backup'];

/** A JSON or YAML document (YAML is a superset of JSON); `what` names it in errors. */
export function parseDocument(text: string, what: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw new UsageError(`${what}: not JSON or YAML (${(err as Error).message.split('\n')[0]})`);
  }
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new UsageError(`${what}: must be an object`);
  return v as Record<string, unknown>;
}

/** `--set key=value`: the value as JSON when it parses (numbers, booleans, lists), else the text. */
function setting(s: string): [string, unknown] {
  const i = s.indexOf('=');
  if (i <= 0) throw new UsageError(`--set ${s}: expected key=value`);
  const raw = s.slice(i + 1);
  try {
    return [s.slice(0, i), JSON.parse(raw)];
  } catch {
    return [s.slice(0, i), raw];
  }
}

/**
 * The request body. The server validates it (and names what is wrong); here only what the flags
 * themselves get wrong is refused.
 */
export function buildRequest(
  flags: SubmitFlags,
  file: { text: string; name: string } | undefined,
): CreatePipelineRequest {
  const body: Record<string, unknown> = file
    ? { ...object(parseDocument(file.text, file.name), file.name) }
    : {};
  if (flags.type !== undefined && flags.template !== undefined)
    throw new UsageError('--type and --template: give one (a built-in type, or a custom template)');
  if (flags.type !== undefined) {
    if (!BUILTIN.includes(flags.type))
      throw new UsageError(`--type: one of ${BUILTIN.join(', ')} (or --template <name>)`);
    body.pipeline_type = flags.type;
  }
  if (flags.template !== undefined) body.pipeline_type = { Custom: { template: flags.template } };
  if (body.pipeline_type === undefined)
    throw new UsageError('a pipeline needs --type <type>, --template <name> or a request file');
  let config = body.config === undefined ? {} : object(body.config, 'config');
  if (flags.config !== undefined) config = object(parseDocument(flags.config, '--config'), '--config');
  for (const s of flags.set ?? []) {
    const [k, v] = setting(s);
    config = { ...config, [k]: v };
  }
  body.config = config;
  if (flags.priority !== undefined) body.priority = flags.priority;
  body.priority ??= 'Normal';
  if (flags.timeout !== undefined) {
    const t = Number(flags.timeout);
    if (!Number.isInteger(t) || t < 1) throw new UsageError('--timeout: whole seconds, at least 1');
    body.timeout_seconds = t;
  }
  return body as CreatePipelineRequest;
}
