/**
 * `pnpm --filter @po/client generate`: builds the gateway's OpenAPI document from its code (no
 * server, database or bus needed) and writes the client's types.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '@po/gateway/src/openapi.ts';
import { GENERATED_PATH, renderTypes } from './generate.ts';

await writeFile(GENERATED_PATH, await renderTypes(openApiDocument()));
console.log(`wrote ${fileURLToPath(GENERATED_PATH)}`);
