import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neverFits } from './resource-fit.ts';

const NONE = { maxCpuMillis: null, maxMemoryBytes: null };
const req = { cpuMillis: 2000, memoryBytes: 2 ** 30 };

describe('neverFits', () => {
  const table: [string, Parameters<typeof neverFits>[2], Parameters<typeof neverFits>[3], RegExp | null][] = [
    ['no quotas', NONE, NONE, null],
    ['exactly the tenant quota', { maxCpuMillis: 2000, maxMemoryBytes: 2 ** 30 }, NONE, null],
    [
      'over the tenant CPU quota',
      { maxCpuMillis: 1999, maxMemoryBytes: null },
      NONE,
      /2 CPU .* tenant t's CPU quota of 1999m/,
    ],
    [
      'over the tenant memory quota',
      { maxCpuMillis: null, maxMemoryBytes: 2 ** 29 },
      NONE,
      /1Gi memory .* tenant t's memory quota of 512Mi/,
    ],
    [
      'over the global CPU quota',
      NONE,
      { maxCpuMillis: 1000, maxMemoryBytes: null },
      /the global CPU quota of 1/,
    ],
    ['a zero quota refuses everything', { maxCpuMillis: 0, maxMemoryBytes: null }, NONE, /CPU quota of 0/],
  ];
  for (const [name, tenant, global, want] of table)
    it(name, () => {
      const got = neverFits(req, 't', tenant, global);
      if (want === null) assert.equal(got, null);
      else assert.match(got ?? '', want);
    });
});
