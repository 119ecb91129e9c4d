import assert from 'node:assert/strict';
import { test } from 'node:test';
import { semanticEqual } from './types.ts';

test('semanticEqual: as the API server compares old and new (key order free, nil == empty)', () => {
  const cases: [unknown, unknown, boolean][] = [
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [{ metadata: {} }, {}, true],
    [{ annotations: {} }, { annotations: null }, true],
    [{ args: [] }, {}, true],
    [{ a: undefined }, {}, true],
    [{ a: { b: [] } }, { a: {} }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: 1 }, {}, false],
    [{ flag: false }, {}, false],
    [{ n: 0 }, {}, false],
    [{ s: '' }, {}, false],
    [[1, 2], [2, 1], false],
    [[{ x: 1, y: 2 }], [{ y: 2, x: 1 }], true],
    [{ a: [1] }, { a: 1 }, false],
    [{ a: {} }, { a: [] }, true],
    [{ a: { b: 1 } }, { a: [1] }, false],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(semanticEqual(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(semanticEqual(b, a), want, 'symmetric');
  }
});
