// @ts-check
/**
 * A cache of TypeScript stripped to JavaScript, so that a service started again never loads Node's
 * TypeScript stripper (amaro, a WebAssembly build of swc: ~12 MiB anonymous and ~7 MiB file-backed
 * RSS in every process that strips one file). Node's own compile cache (NODE_COMPILE_CACHE) avoids
 * the stripper too, but also keeps V8 code caches of every JavaScript module, which cost the
 * Kubernetes services more memory than the stripper (docs/BENCHMARKS.md, "Idle memory, levers").
 *
 * An entry is `<dir>/<sha-256 of the TypeScript source>.js`: a changed file is a new entry, and an
 * entry never needs invalidating. JavaScript, not TypeScript: loading this file must not need the
 * stripper. `ts-cache-hooks.mjs` serves the entries to the module loader; `ts-cache-warm.mjs` fills a
 * cache ahead of time (the image build).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the JavaScript of `source` is kept in `dir`.
 * @param {string} dir
 * @param {string} source
 */
export function entryPath(dir, source) {
  return join(dir, `${createHash('sha256').update(source).digest('hex')}.js`);
}

/**
 * The JavaScript of a TypeScript source (types replaced by blanks, so lines and columns stay): the
 * cached entry, or stripped now and stored. A cache that cannot be written (a read-only image's)
 * serves what it has and strips the rest each time.
 * @param {string} dir
 * @param {string} source
 * @returns {{ js: string, hit: boolean }}
 */
export function strip(dir, source) {
  const file = entryPath(dir, source);
  try {
    return { js: readFileSync(file, 'utf8'), hit: true };
  } catch {
    // Not cached (or unreadable): strip below.
  }
  // Looked up only on a miss: the stripper loads with it (node:module's ESM facade would load it).
  const js = process.getBuiltinModule('node:module').stripTypeScriptTypes(source, { mode: 'strip' });
  try {
    mkdirSync(dir, { recursive: true });
    // Written whole, then renamed: a process reading it at the same time sees all of it or none.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, js);
    renameSync(tmp, file);
  } catch {
    // Read-only: served without storing.
  }
  return { js, hit: false };
}

/**
 * Strips every `.ts` file under `roots` (tests, declarations and node_modules left out) into `dir`.
 * @param {string} dir
 * @param {readonly string[]} roots
 * @returns {{ files: number, stripped: number }}
 */
export function warm(dir, roots) {
  let files = 0;
  let stripped = 0;
  /** @param {string} path */
  const visit = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') visit(child);
      else if (entry.isFile() && isSource(entry.name)) {
        files++;
        if (!strip(dir, readFileSync(child, 'utf8')).hit) stripped++;
      }
    }
  };
  for (const root of roots) visit(root);
  return { files, stripped };
}

/** @param {string} name */
function isSource(name) {
  return name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts');
}
