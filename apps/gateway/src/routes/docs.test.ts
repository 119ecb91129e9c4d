import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inertApp } from '../openapi.ts';

test('/docs is served from the workspace: every script and stylesheet is same-origin, and each loads', async () => {
  const app = inertApp();
  const res = await app.request('/docs');
  assert.equal(res.status, 200);
  const html = await res.text();
  const refs = [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/g)].map((m) => m[1] ?? '');
  assert.ok(refs.length >= 2, `a stylesheet and a script are referenced: ${refs.join(', ')}`);
  for (const ref of refs) assert.match(ref, /^\/(?!\/)/, `${ref} is not on the gateway itself`);
  assert.doesNotMatch(html, /https?:\/\/|\/\/[a-z0-9-]+\./i, 'no absolute URL anywhere in the page');
  for (const ref of refs) {
    const asset = await app.request(ref);
    assert.equal(asset.status, 200, ref);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.ok((await asset.arrayBuffer()).byteLength > 1000, `${ref} has content`);
  }
  const css = refs.find((r) => r.endsWith('.css')) ?? '';
  assert.equal((await app.request(css.replace('swagger-ui.css', 'package.json'))).status, 404);
});
