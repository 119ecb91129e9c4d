import { compilePattern } from './pattern-engine.ts';
import { isArgSafeLiteral, isArgSafePattern } from './pattern-safety.ts';
import { placeholdersIn } from './placeholders.ts';
import type { JsonSchemaProperty, Template } from './template.ts';
import { compileSchema } from './validate.ts';

/** Set by the system, never by a template. */
const RESERVED_ENV = new Set(['PIPELINE_ID', 'TRACEPARENT', 'POD_NAME', 'POD_NAMESPACE', 'PYTHONUNBUFFERED']);
/** Variables that make an interpreter or the loader run code of the caller's choosing. */
const DANGEROUS_ENV = new Set([
  'PATH',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'LD_AUDIT',
  'PYTHONPATH',
  'PYTHONSTARTUP',
  'PYTHONHOME',
  'PYTHONINSPECT',
  'NODE_OPTIONS',
  'BASH_ENV',
  'ENV',
  'PERL5OPT',
  'RUBYOPT',
  'JAVA_TOOL_OPTIONS',
]);

function argSafe(p: JsonSchemaProperty): string | null {
  if (p.type === 'integer' || p.type === 'number' || p.type === 'boolean') return null;
  if (p.enum !== undefined) {
    const bad = p.enum.find((v) => typeof v === 'string' && !isArgSafeLiteral(v));
    return bad === undefined
      ? null
      : `enum value ${JSON.stringify(bad)} contains unsafe characters or starts with '-'`;
  }
  if (p.type === 'string' && p.pattern !== undefined) {
    return isArgSafePattern(p.pattern)
      ? null
      : `pattern ${JSON.stringify(p.pattern)} is not anchored with ^…$ or admits quotes, ;, $, backticks, spaces, newlines or a leading '-'`;
  }
  return 'must be constrained by enum, by an anchored safe pattern, or be integer/number/boolean';
}

/**
 * Problems that make a (custom) template unsafe to run; empty means safe. A placeholder in command or
 * args becomes part of what the program parses, so its property must be constrained; env values are
 * free-form because scripts read them as data.
 */
export function checkTemplateSafety(t: Template): string[] {
  const problems: string[] = [];
  const props = t.configSchema.properties;
  const known = (key: string) => key === 'pipeline_id' || Object.hasOwn(props, key);

  let patternsCompile = true;
  for (const [key, p] of Object.entries(props)) {
    if (p.pattern === undefined) continue;
    try {
      compilePattern(p.pattern);
    } catch (err) {
      patternsCompile = false;
      problems.push(`configSchema.properties.${key}.pattern: ${(err as Error).message}`);
    }
  }
  if (patternsCompile) {
    try {
      compileSchema(t.configSchema);
    } catch (err) {
      problems.push(`configSchema: invalid: ${(err as Error).message}`);
    }
  }
  for (const r of t.configSchema.required ?? []) {
    if (!Object.hasOwn(props, r)) problems.push(`configSchema.required: '${r}' is not a declared property`);
  }

  const [exe, ...restCommand] = t.command;
  if (exe === undefined) problems.push('command: must name an executable');
  else if (exe.includes('{{') || exe.includes('}}'))
    problems.push('command[0]: the executable must not be templated');

  const argvParts: [string, string][] = [
    ...restCommand.map((c, i): [string, string] => [`command[${i + 1}]`, c]),
    ...t.args.map((a, i): [string, string] => [`args[${i}]`, a]),
  ];
  for (const [where, text] of argvParts) {
    for (const ph of placeholdersIn(text)) {
      if (ph.key === null) problems.push(`${where}: malformed placeholder ${ph.raw}`);
      else if (!known(ph.key)) problems.push(`${where}: placeholder ${ph.raw} is not a config property`);
      else if (ph.key !== 'pipeline_id') {
        const prop = props[ph.key];
        const why = prop === undefined ? 'is not declared' : argSafe(prop);
        if (why !== null) problems.push(`${where}: placeholder ${ph.raw}: config.${ph.key} ${why}`);
      }
    }
  }

  for (const [name, value] of Object.entries(t.env)) {
    if (RESERVED_ENV.has(name)) problems.push(`env.${name}: reserved, set by the system`);
    if (DANGEROUS_ENV.has(name)) problems.push(`env.${name}: not allowed (changes what code runs)`);
    for (const ph of placeholdersIn(value)) {
      if (ph.key === null) problems.push(`env.${name}: malformed placeholder ${ph.raw}`);
      else if (!known(ph.key)) problems.push(`env.${name}: placeholder ${ph.raw} is not a config property`);
    }
  }
  return problems;
}
