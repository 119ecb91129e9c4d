/**
 * The API reference at /docs works on a machine without internet: with every request to anything
 * but the gateway refused (as offline), the page renders the API's operations, with no console
 * error. (Swagger UI loaded from a CDN leaves it blank.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Stack, startStack } from '../fixture.ts';
import { openBrowser, type Session } from './browser.ts';

let stack: Stack;
let s: Session;
before(async () => {
  stack = await startStack();
  s = await openBrowser('docs', { offlineExcept: stack.system.gatewayUrl });
});
after(async () => {
  await s?.close();
  await stack?.stop();
});

test('/docs renders the API reference with the network cut off', { timeout: 60_000 }, async () => {
  const foreign: string[] = [];
  s.page.on('requestfailed', (r) => {
    if (!r.url().startsWith(stack.system.gatewayUrl)) foreign.push(r.url());
  });
  await s.page.goto(`${stack.system.gatewayUrl}/docs`);
  await s.page.locator('.swagger-ui .info .title', { hasText: 'Pipeline Operator API' }).waitFor();
  await s.page.locator('.opblock-summary-path[data-path="/pipelines/{id}/cancel"]').waitFor();
  await s.shot('docs');
  assert.deepEqual(foreign, [], 'the page asked for something beyond the gateway');
  assert.deepEqual(s.problems, [], 'the page logged errors');
});
