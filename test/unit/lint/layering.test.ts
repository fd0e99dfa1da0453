// The layering rule (eslint/layering.js) on small snippets, each linted as if it were a file at a
// given place in the tree: every kind of violation is reported, the allowed imports are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';
import { layering } from '../../../eslint/layering.js';

const ROOT = '/repo';
const linter = new Linter({ cwd: ROOT });
const photowords = { rules: { layering } };
const config: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, sourceType: 'module' },
    plugins: { photowords },
    rules: { 'photowords/layering': 'error' },
  },
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
    plugins: { photowords },
    rules: { 'photowords/layering': 'error' },
  },
];

/** The layering messages for `code` placed at `file` (relative to the root). */
function lint(file: string, code: string): string[] {
  const messages = linter.verify(code, config, { filename: `${ROOT}/${file}` });
  for (const m of messages) assert.equal(m.ruleId, 'photowords/layering', `${file}: ${m.message}`);
  return messages.map((m) => m.message);
}

function fails(file: string, code: string, pattern: RegExp): void {
  const messages = lint(file, code);
  assert.equal(messages.length, 1, `${file} ${code}: expected one violation, got ${JSON.stringify(messages)}`);
  assert.match(messages[0], pattern);
}

function passes(file: string, code: string): void {
  assert.deepEqual(lint(file, code), [], `${file} ${code}`);
}

test('core: no electron, no shell, no renderer', () => {
  fails('src/core/library/trash.ts', "import { shell } from 'electron';", /must not import 'electron'/);
  fails('src/core/x.ts', "import type { BrowserWindow } from 'electron/main';", /'electron'/);
  fails('src/core/library/x.ts', "import { a } from '../../main/policy.js';", /src\/main\/policy\.ts/);
  fails('src/core/x.ts', "import { b } from '../preload/index.js';", /src\/preload\/index\.ts/);
  fails('src/core/x.ts', "import { c } from '../renderer/src/api.js';", /src\/renderer/);
  fails('src/core/x.ts', "export { d } from '../server/limits.js';", /src\/server\/limits\.ts/);
  fails('src/core/x.ts', "export * from '../cli/progress.js';", /src\/cli\/progress\.ts/);
  fails('src/core/x.ts', "const m = await import('../main/tray.js');", /src\/main\/tray\.ts/);
  fails('src/core/x.ts', 'const m = await import(`../cli/main.js`);', /src\/cli\/main\.ts/);
  fails('src/core/x.ts', "type T = import('../server/auth.js').Session;", /src\/server\/auth\.ts/);
  fails('src/core/x.ts', "const { shell } = require('electron');", /'electron'/);

  passes('src/core/search/x.ts', "import { a } from '../index/store.js';\nimport sharp from 'sharp';\nimport fs from 'node:fs';");
  passes('src/core/x.ts', "import type { ApiPhoto } from '../shared/api.js';");
  // A computed specifier cannot be resolved and is not guessed at.
  passes('src/core/x.ts', 'const m = await import(name);');
});

test('shells: the core only through src/core/index.ts', () => {
  for (const shell of ['cli', 'server', 'main', 'preload']) {
    const file = `src/${shell}/x.ts`;
    fails(file, "import { IndexStore } from '../core/index/store.js';", /not src\/core\/index\/store\.ts/);
    fails(file, "import type { Settings } from '../core/common/settings.js';", /src\/core\/index.ts/);
    fails(file, "const { Library } = await import('../core/library/library.js');", /src\/core\/library\/library\.ts/);
    fails(file, "export { findDuplicates } from '../core/duplicates/find.js';", /src\/core\/duplicates\/find\.ts/);
    passes(file, "import { Engine, type Settings } from '../core/index.js';");
    passes(file, "export { Engine } from '../core/index.js';\nconst core = await import('../core/index.js');");
    passes(file, "import { IPC } from '../shared/ipc.js';\nimport { app } from 'electron';\nimport { helper } from './y.js';");
  }
});

test('renderer: only itself, src/shared and packages', () => {
  const file = 'src/renderer/src/components/Grid.ts';
  fails(file, "import { ipcRenderer } from 'electron';", /must not import 'electron'/);
  fails(file, "import { IndexStore } from '../../../core/index/store.js';", /not src\/core\/index\/store\.ts/);
  fails(file, "import { Engine } from '../../../core/index.js';", /src\/core\/index\.ts/);
  fails(file, "import { limits } from '../../../server/limits.js';", /src\/server\/limits\.ts/);
  fails(file, "import { policy } from '../../../main/policy.js';", /src\/main\/policy\.ts/);
  passes(file, "import { ref } from 'vue';\nimport { api } from '../api.js';\nimport type { ApiPhoto } from '../../../shared/api.js';");

  const sfc = (script: string) => `<script setup lang="ts">\n${script}\n</script>\n<template><div /></template>\n`;
  fails('src/renderer/src/App.vue', sfc("import { shell } from 'electron';"), /'electron'/);
  fails('src/renderer/src/App.vue', sfc("import { Library } from '../../core/library/library.js';"), /src\/core\/library/);
  passes('src/renderer/src/App.vue', sfc("import { computed } from 'vue';\nimport Grid from './components/PhotoGrid.vue';"));
});

test('shared: neither the core nor a shell', () => {
  fails('src/shared/api.ts', "import type { SimilarResult } from '../core/index.js';", /src\/core\/index\.ts/);
  fails('src/shared/api.ts', "import { x } from '../core/search/explain.js';", /src\/core\/search\/explain\.ts/);
  fails('src/shared/ipc.ts', "import { y } from '../main/policy.js';", /src\/main\/policy\.ts/);
  fails('src/shared/ipc.ts', "import { z } from '../renderer/src/api.js';", /src\/renderer/);
  fails('src/shared/ipc.ts', "import { ipcMain } from 'electron';", /'electron'/);
  passes('src/shared/api.ts', "import { FORMATS } from './formats.js';");
});

test('files outside src, tests and benches, are not layered', () => {
  passes('test/unit/x.test.ts', "import { IndexStore } from '../../src/core/index/store.js';\nimport { app } from 'electron';");
  passes('bench/x.ts', "import { findDuplicates } from '../src/core/duplicates/find.js';");
});
