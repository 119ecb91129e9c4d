// The services reach the cluster through @po/kube, which imports client-node's modules one by one
// (client-node.ts) so that no service loads the generated API it does not use: 11–18 MiB of idle RSS
// each (docs/BENCHMARKS.md, "Memory, third pass"). One value import from the package's entry, or a
// client-node module that imports dist/gen/index.js again (an upgrade without the patch), loads it
// all back; these tests say which module did.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Every module (URL) a fresh node loads when it imports `specifier`, in load order. */
async function modulesLoadedBy(specifier: string): Promise<string[]> {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    await import(process.env.PO_IMPORT);
    process.stdout.write(JSON.stringify(loaded));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, PO_IMPORT: specifier, NODE_OPTIONS: '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as string[];
}

const CLIENT_NODE = /\/@kubernetes\/client-node\/dist\//;
/** The generated API's bulk: the package's entry, the API classes, the models and their serializer. */
const GENERATED_API =
  /\/@kubernetes\/client-node\/dist\/(index|api|serializer|gen\/index|gen\/models\/(all|ObjectSerializer)|gen\/apis\/\w+Api|gen\/types\/\w+)\.js$/;

/** The generated API's modules among `urls`, as paths under client-node's dist/. */
const heavy = (urls: string[]) =>
  urls.filter((u) => GENERATED_API.test(u)).map((u) => u.replace(/^.*\/client-node\/dist\//, ''));

describe('@po/kube loads none of client-node’s generated API', () => {
  for (const entry of ['@po/kube', '@po/kube/requests']) {
    test(`importing ${entry}`, async () => {
      const loaded = await modulesLoadedBy(import.meta.resolve(entry));
      assert.deepEqual(heavy(loaded), [], `${entry} loads client-node's generated API`);
      if (entry === '@po/kube') {
        // The modules that KubeConfig, ListWatch, Watch, Log and ApiException come from are there.
        const cn = loaded.filter((u) => CLIENT_NODE.test(u)).map((u) => u.replace(/^.*\/dist\//, ''));
        for (const m of ['config.js', 'cache.js', 'watch.js', 'log.js', 'gen/apis/exception.js'])
          assert.ok(cn.includes(m), `${m} among ${cn.join(', ')}`);
      }
    });
  }

  test('the check sees the generated API when the package’s entry is imported', async () => {
    const loaded = heavy(await modulesLoadedBy('@kubernetes/client-node'));
    for (const m of ['gen/models/all.js', 'gen/apis/BatchV1Api.js', 'gen/apis/CoreV1Api.js'])
      assert.ok(loaded.includes(m), m);
  });
});
