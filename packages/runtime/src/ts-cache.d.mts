/** Types of ts-cache.mjs (JavaScript, so that loading it needs no TypeScript stripper). */
export declare function entryPath(dir: string, source: string): string;
export declare function strip(dir: string, source: string): { js: string; hit: boolean };
export declare function warm(dir: string, roots: readonly string[]): { files: number; stripped: number };
