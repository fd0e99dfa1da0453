// `photowords eval` on a small labelled set of real photos: the JSON shape the issue specifies,
// sane mAP values, and both dataset layouts (domains of classes, or classes alone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { discoverDataset } from '../../src/core/eval/suite.js';
import { Engine } from '../../src/core/library/engine.js';
import { DEFAULT_SETTINGS, mergeSettings } from '../../src/core/common/settings.js';
import { REPO_ROOT, FLOWERS, CALTECH } from '../fixtures/bad-input.js';

function makeDataset(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-eval-'));
  const add = (domain: string, src: string, classes: string[], n: number) => {
    for (const c of classes) {
      const dir = path.join(root, domain, c);
      fs.mkdirSync(dir, { recursive: true });
      for (const f of fs.readdirSync(path.join(src, c)).sort().slice(0, n)) fs.symlinkSync(path.join(src, c, f), path.join(dir, f));
    }
  };
  add('flowers', FLOWERS, ['c01', 'c02', 'c03'], 6);
  add('objects', CALTECH, ['airplanes', 'Motorbikes'], 6);
  return root;
}

test('discoverDataset reads DIR/<domain>/<class> and DIR/<class> layouts', () => {
  const root = makeDataset();
  const items = discoverDataset(root);
  assert.equal(items.length, 30);
  assert.deepEqual([...new Set(items.map((i) => i.domain))], ['flowers', 'objects']);
  const one = discoverDataset(path.join(root, 'flowers'));
  assert.equal(one.length, 18);
  assert.deepEqual([...new Set(one.map((i) => i.domain))], ['flowers']);
  assert.throws(() => discoverDataset(path.join(root, 'flowers', 'c01', 'nope')), /not a folder/);
});

test('photowords eval --json: one row per similarity with mAP, query-removed mAP and domains', async () => {
  const root = makeDataset();
  const cache = path.join(root, 'cache.db');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/photowords.js'), 'eval', root, '--cache-db', cache, '--json'],
      { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  const parsed = JSON.parse(out);
  const sims = parsed.results.map((r: { similarity: string }) => r.similarity);
  assert.deepEqual(sims, ['tfidf', 'tfidf-exact', 'tfidf-raw', 'bm25', 'jaccard', 'cropjaccard', 'dense', 'tfidf-aqe', 'dense-aqe']);
  for (const r of parsed.results) {
    assert.equal(r.resolution, 299);
    assert.equal(r.kernel, 3);
    assert.equal(r.padding, 0);
    assert.equal(r.channelKgrams, false);
    assert.equal(r.collapseKgrams, true);
    assert.ok(r.map > 0 && r.map <= 1, `${r.similarity} mAP ${r.map}`);
    assert.ok(r.mapQueryRemoved < r.map, 'removing the query (always a hit at rank 1) lowers mAP');
    assert.deepEqual(Object.keys(r.domains).sort(), ['flowers', 'objects']);
  }
  // Five classes of six: chance-level AP with the query kept is about 0.3; the visual words
  // must do clearly better on classes this distinct.
  const tfidf = parsed.results[0];
  assert.ok(tfidf.map > 0.6, `tfidf mAP ${tfidf.map}`);
});

test('eval completes a cache that another run filled without pooled vectors (the dense baseline reads those photos again)', async () => {
  const root = makeDataset();
  const cache = path.join(root, 'cache.db');
  // What the bench's pass over the dev set does: the eval cache's settings, no pooled vectors.
  const settings = mergeSettings(DEFAULT_SETTINGS, { collapseKgrams: false });
  const engine = await Engine.open(cache, { settings, provider: 'cpu' });
  try {
    await engine.index([root]);
    assert.equal([...engine.store.iterDense()].length, 0);
  } finally {
    await engine.close();
  }
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/photowords.js'), 'eval', root, '--cache-db', cache, '--similarities', 'tfidf,dense', '--json'],
      { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 << 20 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve({ stdout: out, stderr: errOut })),
    ),
  );
  assert.match(stderr, /30 photos in the cache have no pooled vector/);
  const dense = JSON.parse(stdout).results.find((r: { similarity: string }) => r.similarity === 'dense');
  assert.ok(dense.map > 0.5, `dense mAP ${dense.map}`);
});
