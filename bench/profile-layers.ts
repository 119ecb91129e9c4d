/**
 * Where a process's CPU went, by layer: `pnpm exec node bench/profile-layers.ts FILE.cpuprofile`
 * (a profile from `--cpu-prof`, e.g. `bench/gateway-load.ts --cpu-prof DIR`); with `--by-package`,
 * by the nearest package on each sample's stack, start-up left out (lib/cpu-profile.ts `byPackage`).
 */
import { readFileSync } from 'node:fs';
import { byLayer, byPackage, type CpuProfile } from './lib/cpu-profile.ts';

const byPkg = process.argv.includes('--by-package');
const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!file) {
  process.stderr.write('usage: bench/profile-layers.ts [--by-package] FILE.cpuprofile\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
if (byPkg) {
  const p = byPackage(profile);
  process.stdout.write(`busy ${p.busyMs.toFixed(0)} ms (start-up left out)\n`);
  for (const l of p.packages.slice(0, 20))
    process.stdout.write(
      `${(100 * l.share).toFixed(1).padStart(5)} %  ${l.ms.toFixed(0).padStart(7)} ms  ${l.name}\n`,
    );
  process.exit(0);
}
const r = byLayer(profile);
process.stdout.write(`busy ${r.busyMs.toFixed(0)} ms, idle ${r.idleMs.toFixed(0)} ms\n`);
for (const l of r.layers)
  process.stdout.write(
    `${(100 * l.share).toFixed(1).padStart(5)} %  ${l.ms.toFixed(0).padStart(7)} ms  ${l.name}\n`,
  );
