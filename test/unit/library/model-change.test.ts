// The pure parts of a change of model (docs/MODELS.md "Switching models"): the tuning override a
// test or a person sets, the codebook size a sample can fill, the time left, the CPU flags that
// make int8 worth offering, and what a crash mid-swap leaves behind put right. No model, no photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TUNING, backupPath, codesFor, eta, nextPath, recoverModelChange, tuningFromEnv } from '../../../src/core/library/model-change.js';
import { int8Support } from '../../../src/core/library/model-service.js';

test('PHOTOWORDS_MODEL_TUNING: fields on top of the defaults; bad JSON, unknown fields and wrong types refused', () => {
  assert.equal(tuningFromEnv(DEFAULT_TUNING, undefined), DEFAULT_TUNING);
  const t = tuningFromEnv(DEFAULT_TUNING, '{"codes":64,"samplePhotos":10}');
  assert.equal(t.codes, 64);
  assert.equal(t.samplePhotos, 10);
  assert.equal(t.vectors, DEFAULT_TUNING.vectors);
  assert.throws(() => tuningFromEnv(DEFAULT_TUNING, '{codes:64}'), /not JSON/);
  assert.throws(() => tuningFromEnv(DEFAULT_TUNING, '[1]'), /must be a JSON object/);
  assert.throws(() => tuningFromEnv(DEFAULT_TUNING, '{"kodes":64}'), /unknown field kodes/);
  assert.throws(() => tuningFromEnv(DEFAULT_TUNING, '{"codes":"64"}'), /codes must be a number/);
});

test('codes: as asked where the sample fills them (8 vectors a code), halved down to 16 where it does not', () => {
  assert.equal(codesFor(4096, 200_000), 4096);
  assert.equal(codesFor(4096, 20_000), 2048);
  assert.equal(codesFor(64, 4000), 64);
  assert.equal(codesFor(4096, 10), 16);
});

test('time left: from the rate so far; none before the first step; zero at the end', () => {
  const t0 = performance.now() - 10_000;
  assert.equal(eta(t0, 0, 100), null);
  const left = eta(t0, 10, 100)!;
  assert.ok(left >= 89 && left <= 92, String(left));
  assert.equal(eta(t0, 100, 100), 0);
});

test('int8 is offered on VNNI or AMX, said why either way', () => {
  if (process.platform !== 'linux') return;
  assert.deepEqual(int8Support('processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni amx_int8\n'), { fast: true, why: 'this CPU has amx_int8, avx512_vnni' });
  assert.deepEqual(int8Support('flags\t\t: fpu sse2 avx_vnni\n').fast, true);
  const no = int8Support('flags\t\t: fpu sse2 avx2\n');
  assert.equal(no.fast, false);
  assert.match(no.why, /no VNNI or AMX/);
  assert.match(int8Support('Features\t: fp asimd asimddp\n').why, /no x86 flags/);
});

test('after a crash mid-swap: the old file comes back where the library file is missing; leftovers go', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-recover-'));
  try {
    const db = path.join(dir, 'index.db');
    fs.writeFileSync(backupPath(db), 'old');
    fs.writeFileSync(`${backupPath(db)}-wal`, 'old wal');
    fs.writeFileSync(nextPath(db), 'half');
    const logs: string[] = [];
    recoverModelChange(db, (m) => logs.push(m));
    assert.equal(fs.readFileSync(db, 'utf8'), 'old');
    assert.equal(fs.readFileSync(`${db}-wal`, 'utf8'), 'old wal');
    assert.ok(!fs.existsSync(backupPath(db)) && !fs.existsSync(nextPath(db)));
    assert.match(logs.join(), /interrupted/);
    // Both there: the new file was complete (renamed in after its carry-over), the backup goes.
    fs.writeFileSync(db, 'new');
    fs.writeFileSync(backupPath(db), 'old');
    recoverModelChange(db);
    assert.equal(fs.readFileSync(db, 'utf8'), 'new');
    assert.ok(!fs.existsSync(backupPath(db)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
