/**
 * Which environment variables the code reads: `process.env.X` / `process.env['X']` / `env.X`
 * anywhere in apps/, packages/ and scripts/, and the keys of the schemas handed to the one config
 * parser (`parseConfig` in @po/runtime) in the files that call or define them.
 */
import { readFileSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The shell's and Node's own, not this product's configuration. */
const SYSTEM = new Set(['PATH', 'HOME', 'NODE_OPTIONS']);

export async function envVarsRead(): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  const add = (name: string, file: string) => {
    if (SYSTEM.has(name)) return;
    const files = found.get(name) ?? new Set<string>();
    files.add(file);
    found.set(name, files);
  };
  const patterns = ['apps/*/src/**/*.ts', 'packages/*/src/**/*.ts', 'scripts/**/*.ts'];
  for (const pattern of patterns) {
    for await (const file of glob(pattern, { cwd: ROOT })) {
      if (file.includes('node_modules') || file.endsWith('.test.ts')) continue;
      const text = readFileSync(`${ROOT}/${file}`, 'utf8');
      for (const m of text.matchAll(/\bprocess\.env(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g)) {
        add((m[1] ?? m[2]) as string, file);
      }
      // `const env = process.env` (or the parsed config) then `env.X`.
      if (/\benv = (process\.env|parseConfig)/.test(text)) {
        for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]{2,})\b/g)) add(m[1] as string, file);
      }
      // A schema of variables: in a file that parses the environment, or defines the shared fragments.
      if (/parseConfig\(/.test(text) || /export const \w*Env = /.test(text)) {
        for (const m of text.matchAll(/^\s*([A-Z][A-Z0-9_]{2,}):/gm)) add(m[1] as string, file);
        for (const m of text.matchAll(/[{,]\s*([A-Z][A-Z0-9_]{2,}):/g)) add(m[1] as string, file);
      }
    }
  }
  return found;
}

/** Variables docs/operations.md documents: the first cell of a table row, as `NAME`. */
export function envVarsDocumented(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`/gm)].map((m) => m[1] as string));
}
