import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_URL, resolveConnection } from './config.ts';
import { UsageError } from './errors.ts';

const files = (m: Record<string, string>) => (p: string) => {
  const v = m[p];
  if (v === undefined) throw new Error('ENOENT: no such file');
  return v;
};

test('flags win over the environment, which wins over the config file', () => {
  const readFile = files({ '/h/.config/po/config.json': '{"url":"http://file:1","api_key":"kf"}' });
  const env = { HOME: '/h' };
  assert.deepEqual(resolveConnection({ flags: {}, env, readFile }), { url: 'http://file:1', apiKey: 'kf' });
  assert.deepEqual(
    resolveConnection({ flags: {}, env: { ...env, PO_URL: 'http://env:2', PO_API_KEY: 'ke' }, readFile }),
    { url: 'http://env:2', apiKey: 'ke' },
  );
  assert.deepEqual(
    resolveConnection({
      flags: { url: 'http://flag:3', apiKey: 'kk' },
      env: { ...env, PO_URL: 'http://env:2', PO_API_KEY: 'ke' },
      readFile,
    }),
    { url: 'http://flag:3', apiKey: 'kk' },
  );
});

test('without any source the local dev gateway is used; XDG_CONFIG_HOME and PO_CONFIG are honoured', () => {
  assert.deepEqual(resolveConnection({ flags: {}, env: { HOME: '/nobody' }, readFile: files({}) }), {
    url: DEFAULT_URL,
    apiKey: undefined,
  });
  const readFile = files({ '/x/po/config.json': '{"api_key":"kx"}', '/c.json': '{"url":"https://c"}' });
  assert.equal(resolveConnection({ flags: {}, env: { XDG_CONFIG_HOME: '/x' }, readFile }).apiKey, 'kx');
  assert.equal(resolveConnection({ flags: {}, env: { PO_CONFIG: '/c.json' }, readFile }).url, 'https://c');
});

test('a named config file that is missing or broken, or a bad URL, is a usage error', () => {
  const readFile = files({ '/bad.json': '{nope', '/arr.json': 'null' });
  for (const config of ['/missing.json', '/bad.json', '/arr.json'])
    assert.throws(() => resolveConnection({ flags: { config }, env: {}, readFile }), UsageError, config);
  assert.throws(
    () => resolveConnection({ flags: { url: 'ftp://x' }, env: {}, readFile: files({}) }),
    UsageError,
  );
});
