/**
 * Where the gateway is and which key to use: flags, then the environment (PO_URL, PO_API_KEY), then
 * a config file (--config, PO_CONFIG, or $XDG_CONFIG_HOME/po/config.json, ~/.config/po/config.json):
 * `{"url": "...", "api_key": "..."}`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface Connection {
  url: string;
  apiKey: string | undefined;
}

export interface ConfigSources {
  flags: { url?: string | undefined; apiKey?: string | undefined; config?: string | undefined };
  env: Record<string, string | undefined>;
  readFile?: (path: string) => string;
}

export function defaultConfigPath(env: Record<string, string | undefined>): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'po', 'config.json');
}

export function resolveConnection({
  flags,
  env,
  readFile = (p) => readFileSync(p, 'utf8'),
}: ConfigSources): Connection {
  const named = flags.config ?? env.PO_CONFIG;
  const path = named ?? defaultConfigPath(env);
  let file: { url?: unknown; api_key?: unknown } = {};
  let text: string | undefined;
  try {
    text = readFile(path);
  } catch (err) {
    if (named !== undefined) throw new UsageError(`config file ${path}: ${(err as Error).message}`);
  }
  if (text !== undefined) {
    try {
      file = JSON.parse(text) as typeof file;
    } catch {
      throw new UsageError(`config file ${path}: not JSON (expected {"url": "...", "api_key": "..."})`);
    }
    if (typeof file !== 'object' || file === null)
      throw new UsageError(`config file ${path}: not a JSON object`);
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const url = flags.url ?? str(env.PO_URL) ?? str(file.url) ?? DEFAULT_URL;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`gateway URL ${JSON.stringify(url)} is not an http(s) URL`);
  }
  return { url, apiKey: flags.apiKey ?? str(env.PO_API_KEY) ?? str(file.api_key) };
}
