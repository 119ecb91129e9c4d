import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { classifyKubeError, isAlreadyExists, isNotFound, type KubeErrorClass } from './errors.ts';

const status = (code: number, reason: string, message: string, extra: object = {}) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra });
const api = (code: number, body: unknown, headers: Record<string, string> = {}) =>
  new ApiException(code, `HTTP-Code: ${code}`, body, headers);
const net = (code: string) =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });

const cases: { name: string; err: unknown; expect: KubeErrorClass }[] = [
  {
    name: '429 with Retry-After',
    err: api(429, status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '7' }),
    expect: { kind: 'retry', delayMs: 7000, reason: '429 TooManyRequests: slow down' },
  },
  {
    name: '429 with details.retryAfterSeconds',
    err: api(429, status(429, 'TooManyRequests', 'slow down', { details: { retryAfterSeconds: 2 } })),
    expect: { kind: 'retry', delayMs: 2000, reason: '429 TooManyRequests: slow down' },
  },
  {
    name: '500',
    err: api(500, status(500, 'InternalError', 'etcd down')),
    expect: { kind: 'retry', delayMs: 1000, reason: '500 InternalError: etcd down' },
  },
  {
    name: '503 non-JSON body',
    err: api(503, 'upstream connect error'),
    expect: { kind: 'retry', delayMs: 1000, reason: '503: upstream connect error' },
  },
  {
    name: '400 waiting to start',
    err: api(
      400,
      status(400, 'BadRequest', 'container "pipeline" in pod "p" is waiting to start: ContainerCreating'),
    ),
    expect: {
      kind: 'retry',
      delayMs: 1000,
      reason: '400 BadRequest: container "pipeline" in pod "p" is waiting to start: ContainerCreating',
    },
  },
  {
    name: '400 other',
    err: api(400, status(400, 'BadRequest', 'bad selector')),
    expect: { kind: 'permanent', reason: '400 BadRequest: bad selector' },
  },
  {
    name: '403',
    err: api(403, status(403, 'Forbidden', 'jobs.batch is forbidden: User "x" cannot create')),
    expect: { kind: 'permanent', reason: '403 Forbidden: jobs.batch is forbidden: User "x" cannot create' },
  },
  {
    name: '422',
    err: api(
      422,
      status(
        422,
        'Invalid',
        'Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value',
      ),
    ),
    expect: {
      kind: 'permanent',
      reason: '422 Invalid: Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value',
    },
  },
  {
    name: '409 AlreadyExists (callers handle it)',
    err: api(409, status(409, 'AlreadyExists', 'jobs.batch "x" already exists')),
    expect: { kind: 'permanent', reason: '409 AlreadyExists: jobs.batch "x" already exists' },
  },
  {
    name: '410 Gone',
    err: api(410, status(410, 'Expired', 'too old resource version')),
    expect: { kind: 'retry', delayMs: 0, reason: '410 Expired: too old resource version' },
  },
  {
    name: 'watch error with statusCode',
    err: Object.assign(new Error('Service Unavailable'), { statusCode: 503 }),
    expect: { kind: 'retry', delayMs: 1000, reason: '503: Service Unavailable' },
  },
  {
    name: 'connection refused',
    err: net('ECONNREFUSED'),
    expect: { kind: 'retry', delayMs: 1000, reason: 'network (ECONNREFUSED): fetch failed' },
  },
  {
    name: 'connection reset',
    err: net('ECONNRESET'),
    expect: { kind: 'retry', delayMs: 1000, reason: 'network (ECONNRESET): fetch failed' },
  },
  {
    name: 'timeout',
    err: new DOMException('timed out', 'TimeoutError'),
    expect: { kind: 'retry', delayMs: 1000, reason: 'network (TimeoutError): timed out' },
  },
  {
    name: 'unknown',
    err: new Error('boom'),
    expect: { kind: 'retry', delayMs: 5000, reason: 'unknown error: Error: boom' },
  },
];

describe('classifyKubeError', () => {
  for (const c of cases) it(c.name, () => assert.deepEqual(classifyKubeError(c.err), c.expect));

  it('predicates', () => {
    assert.equal(isAlreadyExists(api(409, status(409, 'AlreadyExists', 'x'))), true);
    assert.equal(isAlreadyExists(api(409, status(409, 'Conflict', 'x'))), false);
    assert.equal(isNotFound(api(404, status(404, 'NotFound', 'x'))), true);
    assert.equal(isNotFound(new Error('x')), false);
  });
});
