import { readFileSync } from 'node:fs';

/**
 * Each service's node flags from node-flags.conf (the one place that decides them; run-service.sh
 * reads the same file for the image): lines `<service> [flag ...]`, `#` comments and blank lines.
 */
export function parseNodeFlags(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name = '', ...flags] = line.split(/\s+/);
    if (out.has(name)) throw new Error(`node-flags.conf: ${name} is listed twice`);
    out.set(name, flags);
  }
  return out;
}

let table: Map<string, string[]> | undefined;

/** The node flags a service runs with (node-flags.conf). Throws for a service it does not list. */
export function serviceNodeFlags(name: string): string[] {
  table ??= parseNodeFlags(readFileSync(new URL('./node-flags.conf', import.meta.url), 'utf8'));
  const flags = table.get(name);
  if (!flags) throw new Error(`node-flags.conf lists no service ${name}`);
  return [...flags];
}
