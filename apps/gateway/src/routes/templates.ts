import { createRoute, z } from '@hono/zod-openapi';
import { safeJson, TemplateName } from '@po/contracts';
import {
  checkTemplatePolicy,
  checkTemplateSafety,
  type Template,
  type TemplatePolicy,
  TemplateSpec,
} from '@po/templates';
import type { App } from '../env.ts';
import { ApiError, errors } from '../errors/api-error.ts';
import { auditTrail } from '../middleware/audit/index.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { describeIssues } from '../service/pipelines.ts';
import type { ResolvedTemplate, TemplateCatalog, TemplateVersion } from '../store/templates.ts';
import { errorResponses, jsonContent, NameParam, TemplateVersionView, TemplateView } from './schemas.ts';

export interface TemplateRoutesDeps {
  templates: TemplateCatalog;
  /** Image allow-list and Job count caps a custom template must stay within. */
  policy: TemplatePolicy;
}

export function toTemplateView(r: ResolvedTemplate) {
  const t = r.template;
  const defaults: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(t.configSchema.properties))
    if (p.default !== undefined) defaults[k] = p.default;
  return {
    name: t.name,
    version: t.version,
    builtin: r.builtin,
    description: t.description,
    image: t.image,
    config_schema: t.configSchema as unknown as Record<string, unknown>,
    defaults,
    default_timeout_seconds: t.defaultTimeoutSeconds,
    resources: { ...t.resources },
  };
}

// No NUL, lone surrogate or control character in any field or key (named in the 400).
const TemplateBody = z.record(z.string(), z.unknown()).superRefine(safeJson('data')).openapi('TemplateSpec', {
  description:
    'A custom template: {name, description, image, command[], args[], env{}, resources{cpu_request,memory_request,cpu_limit,memory_limit}, configSchema{type:"object",properties,required?}, backoffLimit, defaultTimeoutSeconds, ttlSecondsAfterFinished?, retryableExitCodes?[]}. The version is assigned by the server. Placeholders {{key}} in command/args must name properties constrained by enum or an anchored safe pattern.',
});

const listRoute = createRoute({
  method: 'get',
  path: '/templates',
  tags: ['templates'],
  summary: 'Built-in and registered templates',
  security: [{ Bearer: [] }],
  responses: { 200: jsonContent(z.array(TemplateView), 'Templates'), ...errorResponses(401, 429) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/templates/{name}',
  tags: ['templates'],
  summary: 'One template',
  security: [{ Bearer: [] }],
  request: { params: NameParam },
  responses: { 200: jsonContent(TemplateView, 'Template'), ...errorResponses(401, 404, 429) },
});

const versionsRoute = createRoute({
  method: 'get',
  path: '/templates/{name}/versions',
  tags: ['templates'],
  summary:
    'Every version of a template, newest first (retired ones too: pipelines name the version they ran with)',
  security: [{ Bearer: [] }],
  request: { params: NameParam },
  responses: { 200: jsonContent(z.array(TemplateVersionView), 'Versions'), ...errorResponses(401, 404, 429) },
});

const VersionParams = NameParam.extend({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a version number')
    .openapi({ param: { name: 'version', in: 'path' }, example: '1' }),
});

const versionRoute = createRoute({
  method: 'get',
  path: '/templates/{name}/versions/{version}',
  tags: ['templates'],
  summary: 'One version of a template',
  security: [{ Bearer: [] }],
  request: { params: VersionParams },
  responses: {
    200: jsonContent(TemplateVersionView, 'Template version'),
    ...errorResponses(400, 401, 404, 429),
  },
});

function toVersionView(v: TemplateVersion) {
  return {
    ...toTemplateView(v),
    created_at: v.createdAt?.toISOString() ?? null,
    retired_at: v.retiredAt?.toISOString() ?? null,
  };
}

const body = { content: { 'application/json': { schema: TemplateBody } }, required: true };

const createRouteDef = createRoute({
  method: 'post',
  path: '/templates',
  tags: ['templates'],
  summary: 'Register a custom template (admin)',
  security: [{ Bearer: [] }],
  request: { body },
  responses: {
    201: jsonContent(TemplateView, 'Registered'),
    ...errorResponses(400, 401, 403, 409, 413, 415),
  },
});

const putRoute = createRoute({
  method: 'put',
  path: '/templates/{name}',
  tags: ['templates'],
  summary: 'Register a new version of a custom template (admin)',
  security: [{ Bearer: [] }],
  request: { params: NameParam, body },
  responses: {
    200: jsonContent(TemplateView, 'New version'),
    201: jsonContent(TemplateView, 'Registered (first version)'),
    ...errorResponses(400, 401, 403, 409, 413, 415),
  },
});

const deleteRoute = createRoute({
  method: 'delete',
  path: '/templates/{name}',
  tags: ['templates'],
  summary: 'Retire a custom template (admin); pipelines already created keep their rendered Job',
  security: [{ Bearer: [] }],
  request: { params: NameParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
});

function builtinRefused(name: string): ApiError {
  return new ApiError('InvalidState', `Template '${name}' is built-in and cannot be changed`);
}

function concurrentlyChanged(name: string): ApiError {
  return new ApiError('InvalidState', `Template '${name}' was changed concurrently: retry`);
}

/** Parses, safety- and policy-checks a submitted template; InvalidConfig names what is wrong. */
function parseTemplate(
  raw: Record<string, unknown>,
  name: string,
  version: number,
  policy: TemplatePolicy,
): Template {
  if (raw.name !== undefined && raw.name !== name) {
    throw errors.invalidConfig(`name: must match the path ('${name}')`);
  }
  const r = TemplateSpec.safeParse({ ...raw, name, version });
  if (!r.success) throw errors.invalidConfig(describeIssues(r.error));
  const problems = checkTemplateSafety(r.data);
  if (problems.length > 0) throw errors.invalidConfig(`unsafe template: ${problems.join('; ')}`);
  const outside = checkTemplatePolicy(r.data, policy);
  if (outside.length > 0) throw errors.invalidConfig(`template outside policy: ${outside.join('; ')}`);
  return r.data;
}

export function registerTemplateRoutes(app: App, d: TemplateRoutesDeps): void {
  app.openapi(listRoute, async (c) => {
    const p = requireRole(c, 'viewer');
    return c.json((await d.templates.list(p.tenantId)).map(toTemplateView), 200);
  });

  app.openapi(getRoute, async (c) => {
    const p = requireRole(c, 'viewer');
    const r = await d.templates.resolve(p.tenantId, c.req.valid('param').name);
    if (!r) throw errors.notFound('Template');
    return c.json(toTemplateView(r), 200);
  });

  app.openapi(versionsRoute, async (c) => {
    const p = requireRole(c, 'viewer');
    const all = await d.templates.versions(p.tenantId, c.req.valid('param').name);
    if (all.length === 0) throw errors.notFound('Template');
    return c.json(all.map(toVersionView), 200);
  });

  app.openapi(versionRoute, async (c) => {
    const p = requireRole(c, 'viewer');
    const { name, version } = c.req.valid('param');
    const v = await d.templates.version(p.tenantId, name, Number(version));
    if (!v) throw errors.notFound('Template version');
    return c.json(toVersionView(v), 200);
  });

  app.openapi(createRouteDef, async (c) => {
    const p = requireRole(c, 'admin');
    const raw = c.req.valid('json');
    const name = TemplateName.safeParse(raw.name);
    if (!name.success) throw errors.invalidConfig(`name: ${name.error.issues[0]?.message ?? 'invalid'}`);
    c.set('audit', { action: 'template.create', target: name.data });
    if (d.templates.isBuiltin(name.data)) throw builtinRefused(name.data);
    const v = await d.templates.nextVersion(p.tenantId, name.data);
    if (v.exists)
      throw new ApiError('InvalidState', `Template '${name.data}' already exists: use PUT for a new version`);
    const t = parseTemplate(raw, name.data, v.next, d.policy);
    const trail = auditTrail(c);
    if (!(await d.templates.save(p.tenantId, t, trail.entry(201)))) throw concurrentlyChanged(name.data);
    trail.committed();
    return c.json(toTemplateView({ template: t, builtin: false, tenantId: p.tenantId }), 201);
  });

  app.openapi(putRoute, async (c) => {
    const p = requireRole(c, 'admin');
    const { name } = c.req.valid('param');
    c.set('audit', { action: 'template.update', target: name });
    if (!TemplateName.safeParse(name).success) throw errors.invalidConfig('name: must be a DNS-1123 label');
    if (d.templates.isBuiltin(name)) throw builtinRefused(name);
    const v = await d.templates.nextVersion(p.tenantId, name);
    const t = parseTemplate(c.req.valid('json'), name, v.next, d.policy);
    const trail = auditTrail(c);
    if (!(await d.templates.save(p.tenantId, t, trail.entry(v.exists ? 200 : 201))))
      throw concurrentlyChanged(name);
    trail.committed();
    return c.json(
      toTemplateView({ template: t, builtin: false, tenantId: p.tenantId }),
      v.exists ? 200 : 201,
    );
  });

  app.openapi(deleteRoute, async (c) => {
    const p = requireRole(c, 'admin');
    const { name } = c.req.valid('param');
    c.set('audit', { action: 'template.delete', target: name });
    if (d.templates.isBuiltin(name)) throw builtinRefused(name);
    const trail = auditTrail(c);
    if (!(await d.templates.remove(p.tenantId, name, trail.entry(204)))) throw errors.notFound('Template');
    trail.committed();
    return c.body(null, 204);
  });
}
