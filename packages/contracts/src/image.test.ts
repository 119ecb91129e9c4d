import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageAllowed, isImageRule, parseImageRef } from './image.ts';

const SHA = `sha256:${'a'.repeat(64)}`;
const OTHER_SHA = `sha256:${'b'.repeat(64)}`;

describe('parseImageRef', () => {
  const cases: [string, ReturnType<typeof parseImageRef>][] = [
    ['python', { repository: 'docker.io/library/python' }],
    ['python:3.11-slim', { repository: 'docker.io/library/python', tag: '3.11-slim' }],
    ['docker.io/library/python:3.11', { repository: 'docker.io/library/python', tag: '3.11' }],
    ['acme/etl', { repository: 'docker.io/acme/etl' }],
    ['registry.io/team/etl:1.2', { repository: 'registry.io/team/etl', tag: '1.2' }],
    [`localhost:5000/x@${SHA}`, { repository: 'localhost:5000/x', digest: SHA }],
    [`registry.io/team/etl:1.2@${SHA}`, { repository: 'registry.io/team/etl', tag: '1.2', digest: SHA }],
    ['', null],
    ['Python', null],
    ['registry.io/team/etl:', null],
    ['registry.io/team/etl@sha256:short', null],
    ['registry.io//etl', null],
    ['a b', null],
  ];
  for (const [ref, want] of cases) {
    it(`${JSON.stringify(ref)} -> ${JSON.stringify(want)}`, () => assert.deepEqual(parseImageRef(ref), want));
  }
});

describe('imageAllowed', () => {
  const cases: [string, string[], boolean][] = [
    // A repository rule: every tag and digest of exactly that repository.
    ['registry.io/team/etl:1.2', ['registry.io/team/etl'], true],
    [`registry.io/team/etl@${SHA}`, ['registry.io/team/etl'], true],
    ['registry.io/team/etl', ['registry.io/team/etl'], true],
    ['registry.io/team/etl-evil:1', ['registry.io/team/etl'], false],
    ['registry.io/team/etl/sub:1', ['registry.io/team/etl'], false],
    ['registry.io.evil.com/x', ['registry.io'], false],
    ['registry.io.evil.com/team/etl', ['registry.io/team/etl'], false],
    ['evil.com/registry.io/team/etl', ['registry.io/team/etl'], false],
    // A namespace rule: every repository under it.
    ['registry.io/team/etl:1', ['registry.io/team/*'], true],
    ['registry.io/team/a/b:1', ['registry.io/team/*'], true],
    ['registry.io/team-evil/etl', ['registry.io/team/*'], false],
    ['registry.io/team', ['registry.io/team/*'], false],
    // Tag and digest rules pin exactly that tag or digest.
    ['python:3.11-slim', ['python:3.11-slim'], true],
    ['docker.io/library/python:3.11-slim', ['python:3.11-slim'], true],
    ['python:3.12', ['python:3.11-slim'], false],
    ['python', ['python:3.11-slim'], false],
    [`python:3.11-slim@${SHA}`, ['python:3.11-slim'], false],
    [`python@${SHA}`, [`python@${SHA}`], true],
    [`python@${OTHER_SHA}`, [`python@${SHA}`], false],
    // Docker Hub names are normalised on both sides.
    ['python:3.11', ['docker.io/library/python'], true],
    ['pythonevil:3.11', ['python'], false],
    ['acme/etl:1', ['acme/*'], true],
    ['python:3.11', ['acme/*'], false],
    // An empty list allows every well-formed reference, never a malformed one.
    ['anything:1', [], true],
    ['bad ref', [], false],
    // A rule that does not parse allows nothing.
    ['python:3.11', ['not a rule'], false],
  ];
  for (const [image, list, want] of cases) {
    it(`${image} under [${list.join(', ')}] -> ${want}`, () => assert.equal(imageAllowed(image, list), want));
  }
});

describe('isImageRule', () => {
  it('accepts references and namespaces, refuses the rest', () => {
    for (const r of ['python', 'python:3.11-slim', 'registry.io/team/etl', 'registry.io/team/*', `x@${SHA}`])
      assert.equal(isImageRule(r), true, r);
    for (const r of ['', '*', 'registry.io/*/x', 'a b', 'registry.io/team/*:1'])
      assert.equal(isImageRule(r), false, r);
  });
});
