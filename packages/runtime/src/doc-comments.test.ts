import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BLANK_DOC_COMMENTS, blankDocComments } from './doc-comments.mjs';

test('blankDocComments: a doc comment on lines of its own becomes its line breaks; code keeps its lines and columns', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['a();\n', 'a();\n'],
    ['/** one line */\na();', '\na();'],
    ['  /**\n   * doc\n   */\n  a(x);\n', '\n\n\n  a(x);\n'],
    ['a(); /** shares a line */\nb();', 'a(); /** shares a line */\nb();'],
    ['/* not a doc comment */\na();', '/* not a doc comment */\na();'],
    ["x('/** in a string */');", "x('/** in a string */');"],
    ['/**\n * a */ b();\n', '/**\n * a */ b();\n'],
    ['/** a */\n/** b\n */\nc();', '\n\n\nc();'],
  ];
  for (const [source, want] of cases) {
    const got = blankDocComments(source);
    assert.equal(got, want, JSON.stringify(source));
    assert.equal(got.split('\n').length, source.split('\n').length, 'same number of lines');
  }
  assert.ok(BLANK_DOC_COMMENTS.test('file:///x/node_modules/@kubernetes/client-node/dist/gen/index.js'));
  assert.ok(!BLANK_DOC_COMMENTS.test('file:///x/packages/kube/src/index.ts'));
});

test('client-node loaded through the hooks exports the same names and holds less source', async () => {
  const script = `
    const m = await import('@kubernetes/client-node');
    const kc = new m.KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }], users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    kc.makeApiClient(m.BatchV1Api);
    const src = m.BatchV1Api.toString();
    console.log(JSON.stringify({ names: Object.keys(m).sort(), sourceChars: src.length, docs: src.includes('/**') }));`;
  const run = async (hooks: boolean) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        ...(hooks ? [`--import=${fileURLToPath(new URL('./ts-cache-hooks.mjs', import.meta.url))}`] : []),
        '--input-type=module',
        '-e',
        script,
      ],
      {
        cwd: fileURLToPath(new URL('../../kube/', import.meta.url)),
        env: { ...process.env, TS_CACHE_DIR: '' },
      },
    );
    return JSON.parse(stdout) as { names: string[]; sourceChars: number; docs: boolean };
  };
  const [plain, hooked] = [await run(false), await run(true)];
  assert.deepEqual(hooked.names, plain.names);
  assert.ok(plain.names.length > 100);
  assert.equal(plain.docs, true);
  assert.equal(hooked.docs, false, 'the API class is loaded without its doc comments');
  assert.ok(hooked.sourceChars < plain.sourceChars, `${hooked.sourceChars} < ${plain.sourceChars}`);
});
