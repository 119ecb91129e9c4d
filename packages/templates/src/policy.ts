import { imageAllowed } from '@po/contracts';
import type { Template } from './template.ts';

/**
 * What the platform lets a template ask for, checked when a custom template is registered and again
 * when a pipeline is created from any template (the policy may have tightened since registration).
 */
export interface TemplatePolicy {
  /** Allow-list rules (see `imageAllowed` in @po/contracts); empty allows every image. */
  imageAllowList: readonly string[];
  /** The most pods a Job may run at once (Job `parallelism`). */
  maxParallelism: number;
  /** The most successful pods a Job may need (Job `completions`). */
  maxCompletions: number;
}

export const DEFAULT_TEMPLATE_POLICY: TemplatePolicy = {
  imageAllowList: [],
  maxParallelism: 1,
  maxCompletions: 1,
};

/**
 * A config property that sets a Job count must be an integer bounded by the policy (the renderer takes
 * it only when the schema declares it, so the schema's own bound is what holds every pipeline to it).
 */
function countProblem(t: Template, key: 'parallelism' | 'completions', max: number): string | null {
  const p = t.configSchema.properties[key];
  if (p === undefined) return null;
  const where = `configSchema.properties.${key}`;
  if (p.type !== 'integer') return `${where}: must be an integer`;
  if (p.maximum === undefined || p.maximum > max)
    return `${where}: needs a maximum of at most ${max} (the platform's limit)`;
  const d = p.default;
  if (d !== undefined && (typeof d !== 'number' || !Number.isSafeInteger(d) || d > max))
    return `${where}: default must be an integer of at most ${max}`;
  return null;
}

/** Problems with `t` under `policy`; empty when it may run. */
export function checkTemplatePolicy(t: Template, policy: TemplatePolicy): string[] {
  const problems: string[] = [];
  if (!imageAllowed(t.image, policy.imageAllowList))
    problems.push(`image: '${t.image}' is not in the image allow-list`);
  for (const [key, max] of [
    ['parallelism', policy.maxParallelism],
    ['completions', policy.maxCompletions],
  ] as const) {
    const why = countProblem(t, key, max);
    if (why !== null) problems.push(why);
  }
  return problems;
}
