/** Types of doc-comments.mjs (JavaScript, loaded by the preloaded hooks before any stripper). */
export declare function blankDocComments(source: string): string;
export declare const BLANK_DOC_COMMENTS: RegExp;
