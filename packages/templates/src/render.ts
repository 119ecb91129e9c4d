import type { RenderedJob } from '@po/contracts';
import { substitute } from './placeholders.ts';
import type { Template } from './template.ts';

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface RenderContext {
  pipelineId: string;
  /** Already validated (defaults applied) by validateConfig. */
  config: Record<string, unknown>;
}

function stringify(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
}

/**
 * Renders a template for one pipeline. Each template string renders to exactly one string, so config
 * can never change argv's shape; command[0] is copied verbatim. Throws TemplateError on any marker
 * left unresolved.
 */
export function renderJob(t: Template, ctx: RenderContext): RenderedJob {
  const resolve = (key: string): string | undefined => {
    if (key === 'pipeline_id') return ctx.pipelineId;
    if (!Object.hasOwn(ctx.config, key)) return undefined;
    return stringify(ctx.config[key]);
  };
  const render = (text: string, where: string): string => {
    const r = substitute(text, resolve);
    if (!r.ok)
      throw new TemplateError(`template '${t.name}': unresolved placeholder ${r.unresolved} in ${where}`);
    return r.value;
  };

  const [exe, ...rest] = t.command;
  if (exe === undefined) throw new TemplateError(`template '${t.name}': command is empty`);
  if (exe.includes('{{')) throw new TemplateError(`template '${t.name}': command[0] must not be templated`);

  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(t.env)) env[name] = render(value, `env.${name}`);
  env.PIPELINE_ID = ctx.pipelineId;
  env.PYTHONUNBUFFERED = '1';

  const job: RenderedJob = {
    template: t.name,
    image: t.image,
    command: [exe, ...rest.map((c, i) => render(c, `command[${i + 1}]`))],
    args: t.args.map((a, i) => render(a, `args[${i}]`)),
    env,
    resources: { ...t.resources },
    backoffLimit: t.backoffLimit,
  };
  // Only a template that declares these (and so bounds them in its schema) lets config set them.
  const declared = (k: string) => Object.hasOwn(t.configSchema.properties, k);
  const parallelism = declared('parallelism') ? positiveInt(ctx.config.parallelism) : undefined;
  const completions = declared('completions') ? positiveInt(ctx.config.completions) : undefined;
  if (parallelism !== undefined) job.parallelism = parallelism;
  if (completions !== undefined) job.completions = completions;
  if (t.ttlSecondsAfterFinished !== undefined) job.ttlSecondsAfterFinished = t.ttlSecondsAfterFinished;
  if (t.retryableExitCodes !== undefined && t.retryableExitCodes.length > 0)
    job.retryableExitCodes = [...t.retryableExitCodes];
  return job;
}
