import type { JsonSchemaObject, Template } from './template.ts';

/** A small custom template for tests; each test file passes the schema properties it is about. */
export function testTemplate(
  properties: JsonSchemaObject['properties'],
  over: Partial<Template> = {},
): Template {
  return {
    name: 'custom',
    version: 1,
    description: '',
    image: 'python:3.11-slim',
    command: ['python3', '-c'],
    args: ['print(1)'],
    env: {},
    resources: { cpu_request: '100m', memory_request: '64Mi', cpu_limit: '200m', memory_limit: '128Mi' },
    configSchema: { type: 'object', properties },
    backoffLimit: 0,
    defaultTimeoutSeconds: 60,
    ...over,
  };
}
