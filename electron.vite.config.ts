// Three builds, as in electron-vite's templates: the main process, the preload script and the Vue
// renderer. The engine (src/core) is bundled into main's utility process, not into the renderer.
import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import { rendererConfig } from './vite.config';

export default defineConfig({
  main: {
    // Dependencies stay external (require'd from node_modules at run time): sharp, better-sqlite3
    // and onnxruntime-node are native, and nsfwjs is read as data from its installed files.
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // The utility process that hosts the engine (utilityProcess.fork of out/main/indexer-process.js).
          'indexer-process': resolve(__dirname, 'src/main/indexer-process.ts'),
          // The model's worker-thread entry, started by src/core/analysis/model/tokenizer-worker.ts: its own
          // file so `new Worker(out/main/tokenizer-thread.js)` finds it (indexer-process says where).
          'tokenizer-thread': resolve(__dirname, 'src/core/analysis/model/tokenizer-thread.ts'),
          // The thread that rebuilds the query index off the main thread (src/core/search/live-index.ts).
          'impact-thread': resolve(__dirname, 'src/core/search/impact-thread.ts'),
          // The HEIF decoder's thread (src/core/analysis/decode/heic-worker.ts), likewise.
          'heic-thread': resolve(__dirname, 'src/core/analysis/decode/heic-thread.ts'),
          // The duplicate checks' decoding thread (src/core/duplicates/look-prefetch.ts), likewise.
          'look-thread': resolve(__dirname, 'src/core/duplicates/look-thread.ts'),
        },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    // Sandboxed preload scripts cannot be ES modules and may require only 'electron', so this one
    // is CommonJS with src/shared bundled in (check: out/preload/index.cjs requires nothing else).
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  // The same options as the browser build (vite.config.ts), so Electron and `serve` show one UI.
  renderer: rendererConfig,
});
