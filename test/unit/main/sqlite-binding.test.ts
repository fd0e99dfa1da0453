// The Electron app's indexing process loads an Electron build of better-sqlite3's addon in place of
// the Node build (src/main/sqlite-binding.ts). Electron cannot run here, so this swaps in a copy of
// the Node build and checks that better-sqlite3 then uses the copy and never loads the original.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { electronSqliteBindingPath, explainOpenError, useSqliteBinding } from '../../../src/main/sqlite-binding.js';

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve('better-sqlite3/package.json'));
const nodeBuild = fs.realpathSync(path.join(root, 'build/Release/better_sqlite3.node'));

test('better-sqlite3 loads the addon useSqliteBinding names, not its own build', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'photowords-binding-'));
  try {
    assert.equal(useSqliteBinding(path.join(dir, 'missing.node')), false);
    const copy = path.join(dir, 'better_sqlite3-electron.node');
    fs.copyFileSync(nodeBuild, copy);
    assert.equal(useSqliteBinding(copy), true);
    const db = new Database(':memory:');
    assert.deepEqual(db.prepare('SELECT 41 + 1 AS x').get(), { x: 42 });
    db.close();
    assert.equal(require.cache[nodeBuild]?.exports, require(copy));
    if (fs.existsSync('/proc/self/maps')) {
      const maps = fs.readFileSync('/proc/self/maps', 'utf8');
      assert.ok(maps.includes(copy), 'the copy is loaded');
      assert.ok(!maps.includes(nodeBuild), 'the Node build is not');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the Electron build has a place per better-sqlite3 and Electron version, and an ABI mismatch gets advice', () => {
  const p = electronSqliteBindingPath('41.7.1');
  assert.match(p, /node_modules[\\/]\.cache[\\/]photowords[\\/]better_sqlite3-[\d.]+-electron-41\.7\.1\.node$/);
  const abi = "The module '/x/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 140.";
  assert.match(explainOpenError(abi, '41.7.1'), /built for Node\.js, not for Electron 41\.7\.1.*scripts\/install\.sh/s);
  assert.equal(explainOpenError('disk full', '41.7.1'), 'disk full');
});
