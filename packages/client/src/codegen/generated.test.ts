import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { openApiDocument } from '@po/gateway/src/openapi.ts';
import { GENERATED_PATH, renderTypes } from './generate.ts';

test("the generated client types match the gateway's OpenAPI document", async () => {
  const expected = await renderTypes(openApiDocument());
  const actual = await readFile(GENERATED_PATH, 'utf8');
  assert.ok(
    actual === expected,
    'packages/client/src/generated/api.ts is stale: run `pnpm --filter @po/client generate` and commit it',
  );
});
