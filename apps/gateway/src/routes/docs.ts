/**
 * The API reference at /docs, served whole from the workspace (swagger-ui-dist), so it renders on a
 * machine without internet: no CDN, no online validator.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import type { App } from '../env.ts';
import { errors } from '../errors/api-error.ts';

/** Where the Swagger UI files are served; public like /docs itself. */
export const DOCS_ASSETS = '/docs/assets';

const TYPES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

export function registerDocsRoutes(app: App): void {
  const pkgJson = createRequire(import.meta.url).resolve('swagger-ui-dist/package.json');
  const dir = dirname(pkgJson);
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string };
  const files = new Map<string, Promise<Buffer>>();

  // The version is in the asset path, so a new swagger-ui-dist is a new URL and assets cache for good.
  app.get(
    '/docs',
    swaggerUI({
      url: '/openapi.json',
      baseUrl: DOCS_ASSETS,
      version,
      title: 'Pipeline Operator API',
      validatorUrl: 'none',
    }),
  );
  app.get(`${DOCS_ASSETS}/:pkg/:file`, async (c) => {
    const { pkg, file } = c.req.param();
    const type = TYPES[file];
    if (pkg !== `swagger-ui-dist@${version}` || type === undefined) throw errors.notFound('Asset');
    let body = files.get(file);
    if (!body) {
      body = readFile(join(dir, file));
      files.set(file, body);
    }
    return c.body(new Uint8Array(await body), 200, {
      'Content-Type': type,
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
  });
}
