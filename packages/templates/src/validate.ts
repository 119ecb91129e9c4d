import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { re2Engine } from './pattern-engine.ts';
import type { JsonSchemaObject, Template } from './template.ts';

export type ConfigResult = { ok: true; config: Record<string, unknown> } | { ok: false; message: string };

// Patterns are compiled by RE2 (linear-time matching), never by the backtracking RegExp engine.
const ajv = new Ajv({
  useDefaults: true,
  removeAdditional: false,
  allErrors: true,
  strict: true,
  code: { regExp: re2Engine },
});

// Templates loaded from the database are new objects each time, so cache by schema text (bounded).
const cache = new Map<string, ValidateFunction>();
const CACHE_MAX = 256;

// The same schema object (a built-in template, a cached custom one) skips even the text key.
const byObject = new WeakMap<JsonSchemaObject, ValidateFunction>();

/** Compiles a config schema; throws ajv's error when the schema itself is invalid. */
export function compileSchema(schema: JsonSchemaObject): ValidateFunction {
  const known = byObject.get(schema);
  if (known) return known;
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) {
    byObject.set(schema, hit);
    return hit;
  }
  const fn = ajv.compile(schema);
  byObject.set(schema, fn);
  if (cache.size >= CACHE_MAX) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, fn);
  return fn;
}

function fieldOf(instancePath: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : `${acc}.${p}`), 'config');
}

function describe(e: ErrorObject): string {
  const field = fieldOf(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${field}: missing required field '${String(params.missingProperty)}'`;
    case 'additionalProperties':
      return `${field}: unknown field '${String(params.additionalProperty)}'`;
    case 'enum':
      return `${field}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${field}: ${e.message ?? 'is invalid'}`;
  }
}

/** Checks a pipeline's config against its template's schema and applies schema defaults (on a copy). */
export function validateConfig(t: Template, config: unknown): ConfigResult {
  let validate: ValidateFunction;
  try {
    validate = compileSchema(t.configSchema);
  } catch (err) {
    return {
      ok: false,
      message: `template '${t.name}' has an invalid config schema: ${(err as Error).message}`,
    };
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return { ok: false, message: 'config: must be object' };
  }
  const copy = structuredClone(config) as Record<string, unknown>;
  if (validate(copy)) return { ok: true, config: copy };
  const messages = [...new Set((validate.errors ?? []).map(describe))];
  return { ok: false, message: messages.join('; ') || 'config: is invalid' };
}
