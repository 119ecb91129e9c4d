/** Checks the template editor's text before it is sent: JSON, an object, with a name. */
export function parseTemplate(text: string): { body: Record<string, unknown> } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { error: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { error: 'The template must be a JSON object' };
  const name = (body as { name?: unknown }).name;
  if (typeof name !== 'string' || name === '') return { error: 'The template needs a "name"' };
  return { body: body as Record<string, unknown> };
}
