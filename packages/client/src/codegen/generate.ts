/** The client's types, rendered from the gateway's OpenAPI document (openapi-typescript). */
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

/** Where `pnpm --filter @po/client generate` writes the types (checked in; a test compares). */
export const GENERATED_PATH = new URL('../generated/api.ts', import.meta.url);

const HEADER = `/**
 * Generated from the gateway's OpenAPI document by \`pnpm --filter @po/client generate\`: do not edit.
 * packages/client/src/codegen/generated.test.ts fails when this file is stale.
 */
`;

export async function renderTypes(document: unknown): Promise<string> {
  const ast = await openapiTS(document as OpenAPI3, { alphabetize: true });
  return HEADER + astToString(ast);
}
