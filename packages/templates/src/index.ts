export { builtinTemplates } from './builtins.ts';
export { checkTemplatePolicy, DEFAULT_TEMPLATE_POLICY, type TemplatePolicy } from './policy.ts';
export { type RenderContext, renderJob, TemplateError } from './render.ts';
export { checkTemplateSafety } from './safety.ts';
export type { JsonSchemaObject, JsonSchemaProperty, Template } from './template.ts';
export { TemplateSpec } from './template.ts';
export { type ConfigResult, validateConfig } from './validate.ts';
