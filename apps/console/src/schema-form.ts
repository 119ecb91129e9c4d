/**
 * A form from a template's config JSON Schema: one field per property (text, number, checkbox,
 * choice, or JSON for arrays and objects), and the config object built back from what was typed.
 * What the form cannot judge (patterns, ranges, formats) is left to the API, whose message is shown.
 */
export type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'choice' | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  description: string | undefined;
  choices: string[];
  /** The initial text of the input ('true'/'false' for checkboxes). */
  initial: string;
}

type Schema = Record<string, unknown>;

const asSchema = (v: unknown): Schema =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Schema) : {};

function kindOf(s: Schema): FieldKind {
  if (Array.isArray(s.enum) && s.enum.every((e) => typeof e === 'string')) return 'choice';
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (type === 'string') return 'text';
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  return 'json';
}

function initialText(kind: FieldKind, value: unknown): string {
  if (value === undefined || value === null) return kind === 'boolean' ? 'false' : '';
  if (kind === 'json') return JSON.stringify(value);
  return String(value);
}

export function fieldsOf(configSchema: unknown, defaults: Record<string, unknown> = {}): Field[] {
  const schema = asSchema(configSchema);
  const props = asSchema(schema.properties);
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(props).map(([name, raw]) => {
    const s = asSchema(raw);
    const kind = kindOf(s);
    return {
      name,
      kind,
      required: required.has(name),
      description: typeof s.description === 'string' ? s.description : undefined,
      choices: kind === 'choice' ? (s.enum as string[]) : [],
      initial: initialText(kind, defaults[name] ?? s.default),
    };
  });
}

/**
 * The config the values describe. An empty optional field is left out; text that is not a number
 * or not JSON is sent as typed, so the API names the field and says why.
 */
export function configOf(fields: Field[], values: Record<string, string>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const f of fields) {
    const text = values[f.name] ?? f.initial;
    if (f.kind === 'boolean') {
      config[f.name] = text === 'true';
      continue;
    }
    if (text.trim() === '' && !f.required) continue;
    if (f.kind === 'number' || f.kind === 'integer') {
      const n = Number(text);
      config[f.name] = text.trim() !== '' && Number.isFinite(n) ? n : text;
    } else if (f.kind === 'json') {
      try {
        config[f.name] = JSON.parse(text);
      } catch {
        config[f.name] = text;
      }
    } else config[f.name] = text;
  }
  return config;
}

/** The config fields an API message names (`config.<field>: why`). */
export function fieldsNamed(message: string): string[] {
  return [...message.matchAll(/\bconfig\.([A-Za-z0-9_-]+)/g)].map((m) => m[1] ?? '');
}

const BUILTIN_TYPES: Record<string, string> = {
  'data-processing': 'DataProcessing',
  'model-training': 'ModelTraining',
  etl: 'ETL',
  backup: 'Backup',
};

/** The `pipeline_type` that runs a template: a built-in's own name, else `{"Custom": {template}}`. */
export function pipelineTypeFor(template: { name: string; builtin: boolean }): unknown {
  const builtin = template.builtin ? BUILTIN_TYPES[template.name] : undefined;
  return builtin ?? { Custom: { template: template.name } };
}
