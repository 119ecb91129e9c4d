// @ts-check
/**
 * `@kubernetes/client-node` ships its generated API (dist/gen) with a JSDoc comment on every method
 * of every API group: ObservableAPI.js and PromiseAPI.js are 13.7 MiB, 11.4 of it comments, and V8
 * keeps each loaded module's whole source in the heap — in every service that talks to Kubernetes
 * (docs/BENCHMARKS.md, "Memory, second pass"). `ts-cache-hooks.mjs` loads those files through
 * `blankDocComments`, so the heap holds the code without the comments.
 */

/** A `/** … *\/` comment on lines of its own (only blanks around it), through the first `*\/`. */
const DOC_BLOCK = /^[ \t]*\/\*\*[\s\S]*?\*\/[ \t]*$/gm;

/**
 * The source with every doc comment that stands on lines of its own replaced by the line breaks it
 * spanned: every line of code keeps its number and its columns, so stack traces do not change.
 * A comment sharing a line with code is kept.
 * @param {string} source
 */
export function blankDocComments(source) {
  return source.replace(DOC_BLOCK, (block) => '\n'.repeat(countLines(block) - 1));
}

/** @param {string} s */
function countLines(s) {
  let n = 1;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Modules whose doc comments are blanked when loaded: client-node's JavaScript. */
export const BLANK_DOC_COMMENTS = /\/@kubernetes\/client-node\/dist\/.*\.js$/;
