// A stand-in for the indexed million-file library when the indexing run (bench/daemon-memory.ts,
// an hour or more on two cores) has not finished: a copy of a library in which the dataset photos
// are indexed, plus a row for each file of the synthetic tree written in SQL the way the pipeline
// stores a copy (reuseByHash): its own path, size and mtime, its seed's hash, size in pixels,
// date taken, grid, bag and perceptual hash, and the document frequencies counted up. What
// opening reads (the rows' paths, sizes and mtimes, the folders) is what indexing would have
// written; the manifest says the library was made this way (and, when the source had indexed
// only some dataset photos, how many: the copies of the others carry borrowed words).
//
//   node --import tsx bench/library-sql-copies.ts --from <a library.db with the datasets indexed> [--files 1000000]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { DATASETS, CACHE_DIR, datasetPhotos, ensureTree, type TreeInfo } from './library-tree.js';

export function sqlLibrary(files: number, treeKey: string): { db: string; manifest: string } {
  const db = path.join(CACHE_DIR, `library-sql-${files}-${treeKey}.db`);
  return { db, manifest: `${db}.json` };
}

export function makeSqlLibrary(from: string, tree: TreeInfo, log: (m: string) => void): string {
  const { db: out, manifest } = sqlLibrary(tree.files, tree.key);
  const t0 = performance.now();
  const work = `${out}.partial`;
  fs.rmSync(work, { force: true });
  // The backup API: a consistent copy even while the source is being written.
  const src = new Database(from, { readonly: true });
  src.exec(`VACUUM INTO '${work.replace(/'/g, "''")}'`);
  src.close();
  const db = new Database(work);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const seeds = datasetPhotos().sort();
  const seedId = db.prepare<[string], { id: number }>("SELECT id FROM images WHERE path = ? AND status = 'indexed'");
  // A dataset photo the source has not indexed yet (an indexing run stopped part way) lends its
  // copies the words of an indexed one; their paths, sizes, mtimes and hashes stay their own.
  const own = seeds.map((s) => seedId.get(s)?.id);
  const indexed = own.filter((i) => i !== undefined);
  if (indexed.length === 0) throw new Error(`${from}: no dataset photo indexed`);
  const ids = own.map((id, i) => id ?? indexed[i % indexed.length]);
  const hashes = seeds.map((s) => createHash('sha256').update(fs.readFileSync(s)).digest('hex'));
  const cols = (db.prepare('PRAGMA table_info(images)').all() as { name: string }[]).map((c) => c.name).filter((c) => !['id', 'path', 'size', 'mtime_ms', 'hash'].includes(c));
  const addRow = db.prepare(`INSERT INTO images (path, size, mtime_ms, hash, ${cols.join(', ')}) SELECT ?, ?, ?, ?, ${cols.join(', ')} FROM images WHERE id = ?`);
  const copy = (table: string) => {
    const c = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((x) => x.name).filter((x) => x !== 'image_id');
    return db.prepare(`INSERT INTO ${table} (image_id, ${c.join(', ')}) SELECT ?, ${c.join(', ')} FROM ${table} WHERE image_id = ?`);
  };
  const copies = ['grids', 'bags', 'phash'].map(copy);
  const copiesOf = new Map<number, number>();
  db.prepare('INSERT OR IGNORE INTO folders (path, added_at) VALUES (?, ?)').run(DATASETS, Date.now());
  db.prepare('INSERT OR IGNORE INTO folders (path, added_at) VALUES (?, ?)').run(tree.dir, Date.now());
  // The dataset photos not indexed in the source get rows of their own the same way (else opening
  // would find them new and run the model).
  db.transaction(() => {
    for (const [i, s] of seeds.entries()) {
      if (own[i] !== undefined) continue;
      const st = fs.statSync(s);
      const id = Number(addRow.run(s, st.size, st.mtimeMs, hashes[i], ids[i]).lastInsertRowid);
      for (const c of copies) c.run(id, ids[i]);
      copiesOf.set(ids[i]!, (copiesOf.get(ids[i]!) ?? 0) + 1);
    }
  })();
  const dirs = fs.readdirSync(tree.dir).sort();
  for (const [k, d] of dirs.entries()) {
    const dir = path.join(tree.dir, d);
    db.transaction(() => {
      for (const name of fs.readdirSync(dir)) {
        const i = Number(/^p(\d+)\.jpg$/.exec(name)![1]);
        const st = fs.statSync(path.join(dir, name));
        const seed = ids[i % seeds.length]!;
        const id = Number(addRow.run(path.join(dir, name), st.size, st.mtimeMs, hashes[i % seeds.length], seed).lastInsertRowid);
        for (const c of copies) c.run(id, seed);
        copiesOf.set(seed, (copiesOf.get(seed) ?? 0) + 1);
      }
    })();
    if (k % 200 === 199) log(`sql copies: ${k + 1} of ${dirs.length} folders, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  // Each copy's words count once more in their document frequencies, as the store adds them.
  const termsOf = db.prepare<[number], { terms: Buffer }>('SELECT terms FROM bags WHERE image_id = ?');
  const delta = new Map<number, number>();
  for (const [seed, n] of copiesOf) {
    const b = termsOf.get(seed)!.terms;
    const terms = new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    for (const t of terms) delta.set(t, (delta.get(t) ?? 0) + n);
  }
  const bump = db.prepare('UPDATE df SET df = df + ? WHERE term = ?');
  db.transaction(() => {
    for (const [t, n] of delta) bump.run(n, t);
    db.prepare("UPDATE meta SET value = (SELECT count(*) FROM bags) WHERE key = 'doc_count'").run();
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  fs.renameSync(work, out);
  const info = {
    from,
    tree: tree.dir,
    files: tree.files,
    madeAt: new Date().toISOString(),
    seconds: Math.round((performance.now() - t0) / 1000),
    how: `SQL copies of the indexed dataset photos (bench/library-sql-copies.ts); ${indexed.length} of ${seeds.length} dataset photos indexed in the source, the others and their copies carry borrowed words`,
  };
  fs.writeFileSync(manifest, JSON.stringify(info));
  log(`sql library: ${out} in ${info.seconds} s`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (n: string) => process.argv[process.argv.indexOf(`--${n}`) + 1];
  const files = process.argv.includes('--files') ? Number(arg('files')) : 1_000_000;
  makeSqlLibrary(arg('from'), ensureTree(files, console.error), console.error);
}
