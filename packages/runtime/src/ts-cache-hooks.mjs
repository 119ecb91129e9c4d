// @ts-check
/**
 * Preloaded into each service (`node --import <this file>`): with TS_CACHE_DIR set, TypeScript
 * modules load from the stripped-JavaScript cache of `ts-cache.mjs`, and a process whose files are
 * all cached never loads Node's TypeScript stripper (docs/operations.md, TS_CACHE_DIR). Unset:
 * nothing changes, Node strips each file itself.
 */
import { strip } from './ts-cache.mjs';

/** @type {Record<string, string>} */
const JS_FORMAT = { 'module-typescript': 'module', 'commonjs-typescript': 'commonjs' };
const dir = process.env.TS_CACHE_DIR;

if (dir) {
  process.getBuiltinModule('node:module').registerHooks({
    load(url, context, nextLoad) {
      const loaded = nextLoad(url, context);
      const format = loaded.format ? JS_FORMAT[loaded.format] : undefined;
      if (!format || loaded.source === undefined || loaded.source === null) return loaded;
      const source =
        typeof loaded.source === 'string' ? loaded.source : new TextDecoder().decode(loaded.source);
      return { ...loaded, format, source: strip(dir, source).js };
    },
  });
}
