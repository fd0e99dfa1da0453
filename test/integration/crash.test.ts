// Crash safety on real photos and a real SQLite file: `photowords index` over 1,000 photos is
// killed with SIGKILL at seeded random moments (while node starts, while the model loads, while it
// scans, while it indexes) 24 times, plus 4 times from inside the transaction that writes a
// photo's bag and its document frequencies, restarting each time; then it runs to the end. After
// every kill the file passes integrity_check and no committed photo is gone; at the end every
// photo is indexed exactly once, none is failed, and df / doc_count equal what the bags imply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { IndexStore } from '../../src/core/index/store.js';
import { mulberry32 } from '../../src/core/common/random.js';
import { CALTECH, makeSharedTempDir, REPO_ROOT } from '../fixtures/bad-input.js';

const PHOTOS = 1000;
const RANDOM_KILLS = 24;
/**
 * Kills from inside the transaction, before the nth df update of the run (bags written, df not
 * yet). The indexer writes up to 32 photos in one transaction, so the 2nd is already past 32.
 */
const IN_TRANSACTION = [1, 2, 1, 2];
const SEED = 20261125;
/** At most this many photos committed in one killed round, so 28 rounds never finish the 1,000. */
const MAX_PER_ROUND = 30;

/** Photos committed so far, as another process sees them (cheap: one COUNT on the WAL file). */
function committed(db: string): number {
  if (!fs.existsSync(db)) return 0;
  try {
    const raw = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return Number(raw.prepare("SELECT COUNT(*) FROM images WHERE status = 'indexed'").pluck().get());
    } finally {
      raw.close();
    }
  } catch {
    return 0; // not created yet, or its schema not written yet
  }
}

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed by the per-round cap rather than at its random moment. */
  capped: boolean;
}

function runChild(argv: string[], killAfterMs?: number, killWhen?: () => boolean): Promise<Child> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    // On a fast machine a late random moment could come after the run has finished; a cap on
    // what one round may commit keeps every round a kill.
    let capped = false;
    const poll =
      killWhen &&
      setInterval(() => {
        if (!capped && killWhen()) {
          capped = true;
          child.kill('SIGKILL');
        }
      }, 25);
    const guard = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      clearInterval(poll);
      clearTimeout(guard);
      // 'exit' can come before the pipes drain; give them a moment.
      setImmediate(() => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, capped }));
    });
  });
}

/** Committed photos as a reader sees them after the crash (the reader runs WAL recovery), and integrity. */
function look(db: string): { integrity: string; indexed: Set<string>; failed: number } {
  if (!fs.existsSync(db)) return { integrity: 'ok', indexed: new Set(), failed: 0 };
  const raw = new Database(db, { readonly: true });
  try {
    const integrity = String(raw.pragma('integrity_check', { simple: true }));
    const hasImages = raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'images'").get();
    if (!hasImages) return { integrity, indexed: new Set(), failed: 0 };
    const indexed = new Set(raw.prepare<[], string>("SELECT path FROM images WHERE status = 'indexed'").pluck().all());
    const failed = Number(raw.prepare("SELECT COUNT(*) FROM images WHERE status = 'failed'").pluck().get());
    return { integrity, indexed, failed };
  } finally {
    raw.close();
  }
}

test(`SIGKILL ${RANDOM_KILLS + IN_TRANSACTION.length} times while indexing ${PHOTOS} photos: nothing committed is lost, nothing is indexed twice, df stays exact`, async (t) => {
  const root = await makeSharedTempDir('pw-crash-');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const lib = path.join(root, 'lib');
  const expected: string[] = [];
  for (const c of fs.readdirSync(CALTECH).sort()) {
    for (const f of fs.readdirSync(path.join(CALTECH, c)).sort()) {
      if (expected.length === PHOTOS || !f.endsWith('.jpg')) continue;
      fs.mkdirSync(path.join(lib, c), { recursive: true });
      const dst = path.join(lib, c, f);
      fs.linkSync(path.join(CALTECH, c, f), dst); // only read here
      expected.push(dst);
    }
  }
  assert.equal(expected.length, PHOTOS);
  const db = path.join(root, 'index.db');
  const cli = [process.execPath, path.join(REPO_ROOT, 'bin/photowords.js'), 'index', lib, '--db', db];

  // The same pipeline, killed by itself from inside the write transaction: after the photo's row,
  // grid and bag are written and before its terms are added to df. A kill from outside lands there
  // only by luck; this lands there every time.
  const selfKiller = (n: number) => [
    process.execPath,
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    `
      const { Engine } = await import(${JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'src/core/library/engine.ts')).href)});
      const engine = await Engine.open(${JSON.stringify(db)}, { provider: 'cpu' });
      const dfAdd = engine.store.words.stmts.dfAddCounts;
      const run = dfAdd.run.bind(dfAdd);
      let calls = 0;
      dfAdd.run = (...args) => {
        if (++calls === ${n}) {
          if (!engine.store.db.inTransaction) { console.error('not in a transaction'); process.exit(3); }
          process.kill(process.pid, 'SIGKILL');
        }
        return run(...args);
      };
      await engine.index([${JSON.stringify(lib)}]);
    `,
  ];

  const rng = mulberry32(SEED);
  const plan: ({ kind: 'random'; delayMs: number } | { kind: 'in-transaction'; n: number })[] = [];
  for (let i = 0; i < RANDOM_KILLS; i++) {
    // A few very early (node, tsx and the model still loading), the rest spread over the run.
    const delayMs = i < 3 ? 20 + Math.floor(rng() * 400) : 50 + Math.floor(rng() * 5000);
    plan.push({ kind: 'random', delayMs });
    if (i % 6 === 5) plan.push({ kind: 'in-transaction', n: IN_TRANSACTION[(i - 5) / 6] });
  }

  let kills = 0;
  let before = look(db);
  const t0 = performance.now();
  for (const [i, step] of plan.entries()) {
    const child = step.kind === 'random' ? await runChild(cli, step.delayMs, () => committed(db) - before.indexed.size >= MAX_PER_ROUND) : await runChild(selfKiller(step.n));
    const after = look(db);
    const gone = [...before.indexed].filter((p) => !after.indexed.has(p));
    const what =
      step.kind === 'random'
        ? child.capped
          ? `killed after ${Math.round(child.ms)} ms, at ${MAX_PER_ROUND} photos this round (its random moment was ${step.delayMs} ms)`
          : `killed after ${step.delayMs} ms`
        : `killed itself inside the transaction of df update ${step.n}`;
    console.log(
      `crash: round ${i + 1}: ${child.signal === 'SIGKILL' ? what : `exited by itself (code ${child.code})`}; ${after.indexed.size} photos committed (+${after.indexed.size - before.indexed.size}), integrity ${after.integrity}, committed photos lost ${gone.length}`,
    );
    assert.equal(child.signal, 'SIGKILL', `round ${i + 1} was to be killed, but exited with ${child.code}: ${child.stderr}`);
    kills++;
    assert.equal(after.integrity, 'ok', `round ${i + 1}`);
    assert.deepEqual(gone, [], `round ${i + 1}: committed photos are never lost`);
    assert.equal(after.failed, 0, `round ${i + 1}: no photo is blamed for a kill`);
    before = after;
  }
  const killedMs = performance.now() - t0;
  const beforeFinal = before.indexed.size;

  // Then let it finish.
  const last = await runChild([...cli, '--json']);
  assert.equal(last.code, 0, last.stderr);
  const summary = JSON.parse(last.stdout) as { indexed: number; failed: number; unchanged: number };

  const raw = new Database(db, { readonly: true });
  let paths: string[];
  try {
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    paths = raw.prepare<[], string>('SELECT path FROM images').pluck().all();
    const failed = raw.prepare<[], { path: string; error: string }>("SELECT path, error FROM images WHERE status = 'failed'").all();
    assert.deepEqual(failed, [], 'no photo left failed');
  } finally {
    raw.close();
  }
  assert.equal(paths.length, PHOTOS, 'as many records as photos');
  assert.equal(new Set(paths).size, paths.length, 'no path twice');
  assert.deepEqual([...paths].sort(), [...expected].sort(), 'exactly the photos of the folder');

  const store = IndexStore.open(db, { fingerprint: IndexStore.readFingerprint(db)!, settings: {} });
  let df;
  try {
    df = store.recomputeDf();
    assert.equal(store.stats().indexed, PHOTOS);
  } finally {
    store.close();
  }
  assert.ok(df.ok, `df recomputed from the bags equals the stored df: ${JSON.stringify(df)}`);
  assert.equal(df.storedDocCount, PHOTOS);
  assert.equal(df.actualDocCount, PHOTOS);

  console.log(
    `crash: survived ${kills} kill -9 rounds (${RANDOM_KILLS} at random moments, ${IN_TRANSACTION.length} inside the bag+df transaction) in ${(killedMs / 1000).toFixed(0)} s; ` +
      `${beforeFinal} of ${PHOTOS} photos committed across them; the final run indexed ${summary.indexed} (${summary.unchanged} unchanged, ${summary.failed} failed). ` +
      `At the end: integrity ok, ${paths.length} photos each indexed once, 0 failed, df of ${PHOTOS} documents equal to the postings (${df.mismatchedTerms} mismatched terms). Lost: nothing.`,
  );
});
