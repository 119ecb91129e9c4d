import type { ResourceSpec } from '@po/contracts';
import { MAX_TIMEOUT_SECONDS, TemplateName } from '@po/contracts';
import { z } from 'zod';

/**
 * The subset of JSON Schema a template's config schema may use: one flat object of named
 * properties. Kept small on purpose, so every rendered value can be reasoned about (see safety.ts).
 */
export interface JsonSchemaProperty {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  description?: string;
  default?: unknown;
  enum?: (string | number | boolean)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: { type: 'string' | 'integer' | 'number' | 'boolean' };
}

export interface JsonSchemaObject {
  type: 'object';
  properties: Record<string, JsonSchemaProperty>;
  required?: string[];
  additionalProperties?: boolean;
}

export interface Template {
  name: string;
  version: number;
  description: string;
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  resources: ResourceSpec;
  configSchema: JsonSchemaObject;
  backoffLimit: number;
  defaultTimeoutSeconds: number;
  ttlSecondsAfterFinished?: number;
  /**
   * Exit codes that mean "try again" (a transient failure the workload itself reports): such an
   * attempt ends and a new one is queued, up to max_attempts. Any other non-zero exit fails at once.
   */
  retryableExitCodes?: number[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** cpu/memory quantities: a decimal number with an optional suffix (m, k/M/G/T, Ki/Mi/Gi/Ti). */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
/** An OCI image reference without whitespace or shell metacharacters. */
const IMAGE = /^[a-z0-9]([a-z0-9._\-/:@]*[a-zA-Z0-9_\-.])?$/;

const Quantity = z.string().max(32).regex(QUANTITY, 'must be a Kubernetes quantity like 500m or 1Gi');
const Scalar = z.union([z.string().max(1024), z.number(), z.boolean()]);

const JsonSchemaPropertySpec = z.strictObject({
  type: z.enum(['string', 'integer', 'number', 'boolean', 'array', 'object']),
  description: z.string().max(1000).optional(),
  default: z.unknown().optional(),
  enum: z.array(Scalar).min(1).max(100).optional(),
  pattern: z.string().max(512).optional(),
  minLength: z.number().int().min(0).optional(),
  maxLength: z.number().int().min(0).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  minItems: z.number().int().min(0).optional(),
  maxItems: z.number().int().min(0).optional(),
  items: z.strictObject({ type: z.enum(['string', 'integer', 'number', 'boolean']) }).optional(),
});

const JsonSchemaObjectSpec = z.strictObject({
  type: z.literal('object'),
  properties: z
    .record(z.string().regex(IDENT, 'property names must be identifiers'), JsonSchemaPropertySpec)
    .refine((p) => Object.keys(p).length <= 64, 'at most 64 properties'),
  required: z.array(z.string().regex(IDENT)).max(64).optional(),
  additionalProperties: z.boolean().optional(),
});

/** Validates a custom template submitted over the API: strict (unknown keys rejected), every size bounded. */
export const TemplateSpec: z.ZodType<Template> = z.strictObject({
  name: TemplateName,
  version: z.number().int().min(1).max(1_000_000),
  description: z.string().max(1000),
  image: z.string().min(1).max(512).regex(IMAGE, 'must be an image reference like python:3.11-slim'),
  command: z.array(z.string().min(1).max(1024)).min(1).max(16),
  args: z.array(z.string().max(16 * 1024)).max(32),
  env: z
    .record(z.string().regex(ENV_NAME, 'env names must match [A-Za-z_][A-Za-z0-9_]*'), z.string().max(4096))
    .refine((e) => Object.keys(e).length <= 64, 'at most 64 env vars'),
  resources: z.strictObject({
    cpu_request: Quantity,
    memory_request: Quantity,
    cpu_limit: Quantity,
    memory_limit: Quantity,
  }),
  configSchema: JsonSchemaObjectSpec,
  backoffLimit: z.number().int().min(0).max(10),
  defaultTimeoutSeconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS),
  ttlSecondsAfterFinished: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .optional(),
  retryableExitCodes: z
    .array(z.number().int().min(1).max(255))
    .max(32)
    .refine((codes) => new Set(codes).size === codes.length, 'exit codes must be unique')
    .optional(),
});
