// @ts-check
/**
 * Fills a stripped-TypeScript cache ahead of time (infra/Dockerfile): every `.ts` source under the
 * roots. `node ts-cache-warm.mjs <cache dir> <root>...`
 */
import { warm } from './ts-cache.mjs';

const [dir, ...roots] = process.argv.slice(2);
if (!dir || roots.length === 0) {
  console.error('usage: node ts-cache-warm.mjs <cache dir> <root>...');
  process.exit(2);
}
const { files, stripped } = warm(dir, roots);
console.log(`ts-cache: ${files} TypeScript files, ${stripped} stripped into ${dir}`);
