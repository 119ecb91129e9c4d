import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuMillis, formatCpu, formatMemory, jobRequests, memoryBytes } from './quantity.ts';

describe('cpuMillis / memoryBytes', () => {
  const cpu: [string, number | null][] = [
    ['100m', 100],
    ['0.5', 500],
    ['2', 2000],
    ['1.0005', 1001], // rounded up: a fraction of a millicore still asks for one
    ['250m', 250],
    ['1e3', 1_000_000],
    ['nope', null],
  ];
  for (const [q, n] of cpu) it(`cpu ${q} → ${n}`, () => assert.equal(cpuMillis(q), n));
  const mem: [string, number | null][] = [
    ['256Mi', 256 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1.5Ki', 1536],
    ['100', 100],
    ['1GB', null],
  ];
  for (const [q, n] of mem) it(`memory ${q} → ${n}`, () => assert.equal(memoryBytes(q), n));
});

describe('jobRequests', () => {
  const resources = { cpu_request: '250m', memory_request: '512Mi' };
  it('one pod without parallelism', () =>
    assert.deepEqual(jobRequests({ resources }), { cpuMillis: 250, memoryBytes: 512 * 2 ** 20 }));
  it('parallelism multiplies every request', () =>
    assert.deepEqual(jobRequests({ resources, parallelism: 4 }), {
      cpuMillis: 1000,
      memoryBytes: 2 * 2 ** 30,
    }));
  it('null when a request is not a quantity', () =>
    assert.equal(jobRequests({ resources: { cpu_request: 'x', memory_request: '1Gi' } }), null));
});

describe('formatCpu / formatMemory', () => {
  const table: [string, string][] = [
    [formatCpu(0), '0'],
    [formatCpu(250), '250m'],
    [formatCpu(1000), '1'],
    [formatCpu(1500), '1500m'],
    [formatCpu(12_500), '12.5'],
    [formatMemory(0), '0'],
    [formatMemory(1536), '1.5Ki'],
    [formatMemory(256 * 2 ** 20), '256Mi'],
    [formatMemory(1.5 * 2 ** 30), '1.5Gi'],
  ];
  for (const [got, want] of table) it(`→ ${want}`, () => assert.equal(got, want));
});
