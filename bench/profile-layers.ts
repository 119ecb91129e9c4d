/**
 * Where a process's CPU went, by layer: `pnpm exec node bench/profile-layers.ts FILE.cpuprofile`
 * (a profile from `--cpu-prof`, e.g. `bench/gateway-load.ts --cpu-prof DIR`).
 */
import { readFileSync } from 'node:fs';
import { byLayer, type CpuProfile } from './lib/cpu-profile.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: bench/profile-layers.ts FILE.cpuprofile\n');
  process.exit(2);
}
const r = byLayer(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
process.stdout.write(`busy ${r.busyMs.toFixed(0)} ms, idle ${r.idleMs.toFixed(0)} ms\n`);
for (const l of r.layers)
  process.stdout.write(
    `${(100 * l.share).toFixed(1).padStart(5)} %  ${l.ms.toFixed(0).padStart(7)} ms  ${l.name}\n`,
  );
