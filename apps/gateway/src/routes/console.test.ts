import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createHarness, type Harness } from '../testing/harness.ts';
import { consoleFile } from './console.ts';

const anonymous = { authorization: '' };

describe('the web console at /ui', () => {
  const dir = mkdtempSync(join(tmpdir(), 'po-console-'));
  let built: Harness;
  let missing: Harness;
  before(async () => {
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'dist', 'assets', 'index-abc123.js'), 'console.log(1)');
    built = await createHarness({ consoleDir: join(dir, 'dist') });
    missing = await createHarness({ consoleDir: join(dir, 'nothing-here') });
  });
  after(async () => {
    await built.close();
    await missing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('index.html is served without a key, revalidated on every load, with a self-only CSP', async () => {
    const res = await built.req('GET', '/ui/', undefined, anonymous);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await res.text(), /<title>console<\/title>/);
    const bare = await built.req('GET', '/ui', undefined, anonymous);
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/ui/');
  });

  test('hashed assets are cached for a year', async () => {
    const res = await built.req('GET', '/ui/assets/index-abc123.js', undefined, anonymous);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  });

  test('an unknown file or a path out of the build is a 404 with the seed body', async () => {
    for (const path of ['/ui/assets/nope.js', '/ui/..%2f..%2fpackage.json', '/ui/%2e%2e%2fsrc%2fmain.ts']) {
      const res = await built.req('GET', path, undefined, anonymous);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { type: string }).type, 'NotFound');
    }
  });

  test('without a build it answers 404 saying how to build it (and the API still works)', async () => {
    const res = await missing.req('GET', '/ui/', undefined, anonymous);
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: string; type: string };
    assert.equal(body.type, 'NotFound');
    assert.match(body.error, /console is not built.*pnpm --filter @po\/console build/);
    assert.equal((await missing.req('GET', '/quota')).status, 200);
  });

  test('consoleFile stays inside the build', () => {
    assert.equal(consoleFile('/b', '/ui/'), '/b/index.html');
    assert.equal(consoleFile('/b', '/ui/assets/a.js'), '/b/assets/a.js');
    assert.equal(consoleFile('/b', '/ui/%2e%2e/x'), undefined);
    assert.equal(consoleFile('/b', '/ui/%zz'), undefined);
  });
});
