// Export (issue 19) on real files: the browser's zip (src/server/zip.ts, yazl) read back by the
// system's `unzip` and Python's zipfile when present, names made unique, a photo that vanished or
// changed fails the stream; Electron's copy into a folder (src/main/export-photos.ts) never
// overwriting a file that is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { uniqueNames, zipStream } from '../../src/server/zip.js';
import { copyInto } from '../../src/main/export-photos.js';

const DATA = path.resolve('../shared/datasets');
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const jpegs = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => path.join(dir, f));

test('uniqueNames: repeats get " (2)", " (3)", case-insensitively, extensions kept', () => {
  assert.deepEqual(uniqueNames(['a.jpg', 'b.jpg', 'A.jpg', 'a.jpg', 'a (2).jpg', 'noext', 'noext']), ['a.jpg', 'b.jpg', 'A (2).jpg', 'a (3).jpg', 'a (2) (2).jpg', 'noext', 'noext (2)']);
});

test('zipStream: real photos (and a UTF-8 name) read back byte for byte by unzip and Python', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-zip-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const srcs = jpegs(path.join(DATA, 'caltech101', 'watch')).slice(0, 3);
  const names = ['watch.jpg', 'Blüte – 東京.jpg', 'watch (2).jpg'];
  const mtime = new Date(2021, 4, 6, 7, 8, 10).getTime();
  const sources = srcs.map((file, i) => ({ file, name: names[i], size: fs.statSync(file).size, mtimeMs: mtime }));
  const zip = path.join(dir, 'out.zip');
  await new Promise<void>((resolve, reject) => zipStream(sources).pipe(fs.createWriteStream(zip)).on('finish', resolve).on('error', reject));
  const overhead = fs.statSync(zip).size - sources.reduce((n, s) => n + s.size, 0);
  assert.ok(overhead < 600, `stored: only headers added (${overhead} bytes)`);

  const unzip = spawnSync('unzip', ['-t', zip], { encoding: 'utf8' });
  if (unzip.error) t.diagnostic('no unzip here');
  else assert.match(unzip.stdout, /No errors detected/, unzip.stdout + unzip.stderr);

  const py = spawnSync(
    'python3',
    [
      '-c',
      `
import zipfile, hashlib, sys, json
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, hashlib.sha256(z.read(i)).hexdigest(), list(i.date_time)] for i in z.infolist()]))
`,
      zip,
    ],
    { encoding: 'utf8' },
  );
  if (py.error) t.diagnostic('no python3 here');
  else {
    assert.equal(py.status, 0, py.stderr);
    const got = JSON.parse(py.stdout) as [string, string, number[]][];
    assert.deepEqual(
      got.map((g) => g[0]),
      names,
      'names, UTF-8 kept',
    );
    assert.deepEqual(
      got.map((g) => g[1]),
      srcs.map((s) => sha(fs.readFileSync(s))),
      'bytes',
    );
    assert.deepEqual(got[0][2], [2021, 5, 6, 7, 8, 10], 'the file time (DOS, 2 s steps)');
  }
});

test('zipStream: a photo gone before it is read fails the stream (never a zip quietly short of it)', async () => {
  const stream = zipStream([{ file: '/nonexistent/photo.jpg', name: 'photo.jpg', size: 1, mtimeMs: Date.now() }]);
  await assert.rejects(text(stream), /ENOENT/);
});

test('zipStream: a photo whose size changed since it was checked fails the stream', async () => {
  const [file] = jpegs(path.join(DATA, 'caltech101', 'watch'));
  const stream = zipStream([{ file, name: 'watch.jpg', size: fs.statSync(file).size + 10, mtimeMs: Date.now() }]);
  await assert.rejects(text(stream), /unexpected number of bytes/);
});

test('copyInto: names kept, " (2)" where one is taken, nothing overwritten, times kept', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-export-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const [a, b] = jpegs(path.join(DATA, 'caltech101', 'chair')).slice(0, 2);
  const from = path.join(dir, 'from');
  const to = path.join(dir, 'to');
  fs.mkdirSync(path.join(from, 'x'), { recursive: true });
  fs.mkdirSync(to);
  fs.copyFileSync(a, path.join(from, 'chair.jpg'));
  fs.copyFileSync(b, path.join(from, 'x', 'chair.jpg'));
  const old = new Date(2019, 1, 2, 3, 4, 5);
  fs.utimesSync(path.join(from, 'chair.jpg'), old, old);
  fs.writeFileSync(path.join(to, 'chair.jpg'), 'already here');
  const names = await copyInto(to, [path.join(from, 'chair.jpg'), path.join(from, 'x', 'chair.jpg')]);
  assert.deepEqual(names, ['chair (2).jpg', 'chair (3).jpg']);
  assert.equal(fs.readFileSync(path.join(to, 'chair.jpg'), 'utf8'), 'already here', 'never overwritten');
  assert.equal(sha(fs.readFileSync(path.join(to, 'chair (2).jpg'))), sha(fs.readFileSync(a)));
  assert.equal(sha(fs.readFileSync(path.join(to, 'chair (3).jpg'))), sha(fs.readFileSync(b)));
  assert.equal(fs.statSync(path.join(to, 'chair (2).jpg')).mtimeMs, old.getTime());
  await assert.rejects(copyInto(path.join(dir, 'no-such-folder'), [a]), /could not be copied to .*no-such-folder/);
});
