import { defineConfig } from 'vite';

// Served by the gateway at /ui; hashed file names under assets/ are cached for a year there.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
