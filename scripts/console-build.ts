/**
 * The web console's static build (apps/console → apps/console/dist, served by the gateway at /ui).
 * The test command always builds it; the dev command and a browser test run alone build it only
 * when it is missing or older than its sources, so they never rewrite a build another test serves.
 */
import { spawnSync } from 'node:child_process';
import { globSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const APP = join(ROOT, 'apps/console');
const BUILT = join(APP, 'dist/index.html');
const SOURCES = ['src/**/*', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

export function consoleBuildIsStale(): boolean {
  const built = mtime(BUILT);
  if (built === 0) return true;
  return globSync(SOURCES, { cwd: APP }).some((f) => mtime(join(APP, f)) > built);
}

/** Runs the build (tsc + vite) with its output on this process's stderr; true when it succeeded. */
export function buildConsole(): boolean {
  const r = spawnSync('pnpm', ['--filter', '@po/console', 'run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return r.status === 0;
}
