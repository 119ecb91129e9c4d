/**
 * The web console: apps/console's static build served at /ui. Hashed assets (Vite names them by
 * content) are cached for a year; index.html is revalidated every time so a new build is seen at
 * once. The console talks to the public API with the user's key like any other client: nothing
 * here is authenticated or privileged.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { Context } from 'hono';
import type { App } from '../env.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything the page loads comes from the gateway itself: no CDN, no inline script. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const CONSOLE_PREFIX = '/ui';

/** The file under `root` a request path names, or undefined when it would leave `root`. */
export function consoleFile(root: string, path: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(path.slice(CONSOLE_PREFIX.length + 1));
  } catch {
    return undefined;
  }
  if (rel === '') rel = 'index.html';
  if (rel.includes('\0')) return undefined;
  const file = resolve(root, rel);
  return file.startsWith(root + sep) ? file : undefined;
}

export function cacheControlFor(rel: string): string {
  return rel.startsWith('assets/') ? IMMUTABLE : 'no-cache';
}

export function registerConsoleRoutes(app: App, opts: { dir: string }): void {
  const root = resolve(opts.dir);
  const notBuilt = (c: Context) =>
    c.json(
      {
        error: `The web console is not built (no ${root}/index.html): run \`pnpm --filter @po/console build\``,
        type: 'NotFound',
      },
      404,
    );

  app.get(CONSOLE_PREFIX, (c) => c.redirect(`${CONSOLE_PREFIX}/`, 301));
  app.get(`${CONSOLE_PREFIX}/*`, async (c) => {
    const file = consoleFile(root, c.req.path);
    if (file === undefined) return c.json({ error: `No such file: ${c.req.path}`, type: 'NotFound' }, 404);
    const rel = file.slice(root.length + 1);
    const found = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!found) {
      const index = await stat(resolve(root, 'index.html')).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!index) return notBuilt(c);
      return c.json({ error: `No such file: ${c.req.path}`, type: 'NotFound' }, 404);
    }
    const body = await readFile(file);
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': cacheControlFor(rel),
      'X-Content-Type-Options': 'nosniff',
    };
    if (rel.endsWith('.html')) headers['Content-Security-Policy'] = CSP;
    return c.body(body, 200, headers);
  });
}
