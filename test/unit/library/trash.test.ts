// Putting trashed files back (src/core/library/trash.ts) on real files in a real XDG trash layout under a
// temp folder: .trashinfo parsing (escaped and relative paths, foreign and broken files), finding
// our entry among others by Path and DeletionDate and checking it by content hash, and moving it
// back without ever replacing a file that is now at its place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DELETION_WINDOW_AFTER_MS,
  DELETION_WINDOW_BEFORE_MS,
  findTrashEntry,
  homeTrash,
  mountTop,
  parseTrashInfo,
  readTrash,
  restoreEntry,
  RestoreError,
  restoreSupported,
  trashDirsFor,
  trashWhereabouts,
} from '../../../src/core/library/trash.js';

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
const pad = (n: number) => String(n).padStart(2, '0');
/** DeletionDate as the spec (and the `trash` package, and GLib) write it: local time, to the second. */
const deletionDate = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pw-trash-'));
}

/** Puts `bytes` into `trash` as a file trashed from `from` at `when`, the way the `trash` package does. */
function trashed(trash: string, name: string, from: string, when: number, bytes: Buffer, pathValue = encodeURI(from)) {
  fs.mkdirSync(path.join(trash, 'files'), { recursive: true });
  fs.mkdirSync(path.join(trash, 'info'), { recursive: true });
  fs.writeFileSync(path.join(trash, 'files', name), bytes);
  fs.writeFileSync(path.join(trash, 'info', `${name}.trashinfo`), `[Trash Info]\nPath=${pathValue}\nDeletionDate=${deletionDate(when)}\n`);
  return { file: path.join(trash, 'files', name), info: path.join(trash, 'info', `${name}.trashinfo`) };
}

test('parseTrashInfo: escaped absolute paths, relative paths under a disk top, and what is not a trashinfo', () => {
  const when = new Date(2026, 11, 6, 15, 4, 5).getTime();
  const p = parseTrashInfo(`[Trash Info]\nPath=/home/ann/Photos/caf%C3%A9%20%2350%25.jpg\nDeletionDate=2026-12-06T15:04:05\n`, '/');
  assert.deepEqual(p, { originalPath: '/home/ann/Photos/café #50%.jpg', deletedAt: when });
  // encodeURI (the `trash` package) leaves '#' and ',' as they are; GLib escapes them: both read alike.
  assert.equal(parseTrashInfo(`[Trash Info]\nPath=${encodeURI('/a/b #1, c.jpg')}\nDeletionDate=2026-12-06T15:04:05`, '/')?.originalPath, '/a/b #1, c.jpg');
  // GLib writes a path relative to the disk's top folder in that disk's own trash.
  assert.equal(parseTrashInfo('[Trash Info]\nPath=photos/x.jpg\nDeletionDate=2026-12-06T15:04:05', '/media/usb')?.originalPath, '/media/usb/photos/x.jpg');
  // Blank lines first, CRLF, a second group after: still read.
  assert.equal(parseTrashInfo('\r\n[Trash Info]\r\nDeletionDate=2026-12-06T15:04:05\r\nPath=/x.jpg\r\n[Other]\r\nPath=/y.jpg', '/')?.originalPath, '/x.jpg');
  for (const bad of [
    'Path=/x.jpg\nDeletionDate=2026-12-06T15:04:05', // no group header
    '[Desktop Entry]\nPath=/x.jpg\nDeletionDate=2026-12-06T15:04:05',
    '[Trash Info]\nPath=/x.jpg', // no date
    '[Trash Info]\nPath=/x%E0%A4%A.jpg\nDeletionDate=2026-12-06T15:04:05', // broken escape
    '[Trash Info]\nPath=/x.jpg\nDeletionDate=yesterday',
    '',
  ]) {
    assert.equal(parseTrashInfo(bad, '/'), undefined, JSON.stringify(bad));
  }
});

test("the trash folders: $XDG_DATA_HOME/Trash first, then the disk top's .Trash/$uid and .Trash-$uid; mountTop climbs to the disk's top", () => {
  const dir = tmpdir();
  try {
    assert.equal(homeTrash({ XDG_DATA_HOME: dir }), path.join(dir, 'Trash'));
    assert.equal(homeTrash({ XDG_DATA_HOME: 'relative/ignored' }), path.join(os.homedir(), '.local', 'share', 'Trash'), 'a relative XDG_DATA_HOME is invalid (XDG Base Directory spec)');
    const top = mountTop(path.join(dir, 'not', 'made', 'yet'))!;
    assert.ok(top && dir.startsWith(top), `${top} holds ${dir}`);
    assert.equal(fs.statSync(top).dev, fs.statSync(dir).dev);
    const dirs = trashDirsFor(path.join(dir, 'a.jpg'), { XDG_DATA_HOME: dir }).map((d) => d.dir);
    const uid = process.getuid!();
    assert.deepEqual(dirs, [path.join(dir, 'Trash'), path.join(top, '.Trash', String(uid)), path.join(top, `.Trash-${uid}`)]);
    assert.equal(restoreSupported('linux'), true);
    for (const p of ['darwin', 'win32'] as const) {
      assert.equal(restoreSupported(p), false);
      assert.match(trashWhereabouts(p), /cannot put files back.*(Put Back|Restore)/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('findTrashEntry: by Path and DeletionDate, nearest first, checked by content hash; emptied or foreign entries are not ours', () => {
  const dir = tmpdir();
  try {
    const trash = path.join(dir, 'Trash');
    const from = path.join(dir, 'photos', 'lily 1.jpg');
    const t0 = Date.now() - 3 * 3600_000;
    const ours = Buffer.from('our lily');
    const later = Buffer.from('a different file trashed from the same path, two hours later');
    trashed(trash, 'a', from, t0 - 800, ours); // written before the move, to the second
    trashed(trash, 'b', from, t0 + 2 * 3600_000, later);
    trashed(trash, 'c', path.join(dir, 'photos', 'other.jpg'), t0, ours);
    fs.writeFileSync(path.join(trash, 'info', 'junk.trashinfo'), 'not a trashinfo');
    fs.writeFileSync(path.join(trash, 'info', 'README'), 'not even named like one');
    const index = readTrash([
      { dir: trash, top: '/' },
      { dir: path.join(dir, 'no-such-trash'), top: dir },
    ]);
    assert.equal(index.get(from)?.length, 2);

    const e = findTrashEntry(index, { path: from, trashedAt: t0, hash: sha(ours) })!;
    assert.equal(e.file, path.join(trash, 'files', 'a'));
    assert.equal(e.info, path.join(trash, 'info', 'a.trashinfo'));
    // The later one is found for its own time and bytes, not ours.
    assert.equal(findTrashEntry(index, { path: from, trashedAt: t0 + 2 * 3600_000, hash: sha(later) })?.file, path.join(trash, 'files', 'b'));
    // Our time, but other bytes recorded: the entry at that time holds something else.
    assert.equal(findTrashEntry(index, { path: from, trashedAt: t0, hash: sha('something else') }), undefined);
    // Without the hash check (the listing), path and time suffice.
    assert.equal(findTrashEntry(index, { path: from, trashedAt: t0, hash: sha('something else') }, false)?.file, e.file);
    // Outside the window on either side: not ours.
    assert.equal(findTrashEntry(index, { path: from, trashedAt: t0 + DELETION_WINDOW_BEFORE_MS + 5000, hash: null }), undefined);
    assert.equal(findTrashEntry(index, { path: from, trashedAt: t0 - DELETION_WINDOW_AFTER_MS - 5000, hash: null }), undefined);
    // The trash was emptied of the file but its info stayed behind: not restorable.
    fs.rmSync(e.file);
    assert.equal(findTrashEntry(index, { path: from, trashedAt: t0, hash: sha(ours) }), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('restoreEntry: back in place with its bytes and mtime, the trash entry gone; never over a file at its place; a gone folder only when allowed', () => {
  const dir = tmpdir();
  try {
    const trash = path.join(dir, 'Trash');
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    const bytes = crypto.randomBytes(50_000);
    const dest = path.join(photos, 'back.jpg');
    const e1 = trashed(trash, 'one', dest, Date.now(), bytes);
    const mtime = new Date(2020, 0, 2, 3, 4, 5);
    fs.utimesSync(e1.file, mtime, mtime);
    const entry = { ...e1, originalPath: dest, deletedAt: Date.now() };

    // A file at the place now: refused, both files untouched.
    fs.writeFileSync(dest, 'a new file with the same name');
    assert.throws(
      () => restoreEntry(entry, dest),
      (err: unknown) => err instanceof RestoreError && /a file is at .*back\.jpg now/.test((err as Error).message),
    );
    assert.equal(fs.readFileSync(dest, 'utf8'), 'a new file with the same name');
    assert.ok(fs.existsSync(e1.file) && fs.existsSync(e1.info));
    fs.rmSync(dest);

    restoreEntry(entry, dest);
    assert.equal(sha(fs.readFileSync(dest)), sha(bytes), 'the same bytes');
    assert.equal(fs.statSync(dest).mtimeMs, mtime.getTime(), 'the same mtime (so nothing looks edited)');
    assert.ok(!fs.existsSync(e1.file) && !fs.existsSync(e1.info), 'the file and its .trashinfo left the trash');

    // Its folder was removed meanwhile.
    const deep = path.join(photos, 'gone', 'deeper', 'x.jpg');
    const e2 = trashed(trash, 'two', deep, Date.now(), bytes);
    const entry2 = { ...e2, originalPath: deep, deletedAt: Date.now() };
    assert.throws(() => restoreEntry(entry2, deep), /its folder .*deeper is gone/);
    assert.ok(fs.existsSync(e2.file));
    restoreEntry(entry2, deep, { createParents: true });
    assert.equal(sha(fs.readFileSync(deep)), sha(bytes));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
