// The pieces of serve's policy that need no server: where folders may be added (src/core/library/roots.ts)
// on real folders, and the caps' bookkeeping (src/server/limits.ts). The server tests show them
// at work over HTTP; these pin the rules one by one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RootPolicy } from '../../../src/core/library/roots.js';
import { FailureLimiter, KeyedSlots, Slots, jsonDepth } from '../../../src/server/limits.js';
import { allowedHosts } from '../../../src/server/guards.js';

function tree(): { tmp: string; home: string; pictures: string; other: string; db: string } {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'pw-roots-')));
  const home = path.join(tmp, 'home');
  const pictures = path.join(home, 'Pictures');
  const other = path.join(tmp, 'elsewhere');
  for (const d of [pictures, path.join(pictures, 'trip'), other, path.join(home, '.local', 'share', 'photowords')]) fs.mkdirSync(d, { recursive: true });
  return { tmp, home, pictures, other, db: path.join(home, '.local', 'share', 'photowords', 'library.db') };
}

test('roots: defaults are Pictures, the library folders and (open loopback only) home; never /, system folders, the index', (t) => {
  const { tmp, home, pictures, other, db } = tree();
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const saved = process.env.XDG_PICTURES_DIR;
  delete process.env.XDG_PICTURES_DIR;
  t.after(() => (saved === undefined ? delete process.env.XDG_PICTURES_DIR : (process.env.XDG_PICTURES_DIR = saved)));

  const network = new RootPolicy({ loopbackOpen: false, dbPath: db, home });
  assert.equal(network.refusal(path.join(pictures, 'trip')), null, 'under Pictures');
  assert.match(network.refusal(other) ?? '', /outside the folders this server may add .*--roots/);
  assert.match(network.refusal(home) ?? '', /whole home folder/);
  assert.match(network.refusal('/') ?? '', /root of a disk/);
  for (const sys of ['/etc', '/usr/share', '/var/lib', '/proc', '/boot']) assert.match(network.refusal(sys) ?? '', /system folder/, sys);
  assert.match(network.refusal(path.dirname(db)) ?? '', /own index/);
  assert.match(network.refusal(path.join(home, '.local')) ?? '', /own index/, 'a folder holding the index');

  const open = new RootPolicy({ loopbackOpen: true, dbPath: path.join(tmp, 'index', 'library.db'), home });
  assert.equal(open.refusal(home), null, 'the desktop user may add their home folder');
  assert.equal(open.refusal(path.join(home, 'Documents')), null);
  assert.match(open.refusal(other) ?? '', /outside/);

  const existing = new RootPolicy({ loopbackOpen: false, dbPath: db, home, existing: [other, '/'] });
  assert.equal(existing.refusal(path.join(other, 'x')), null, 'a folder already in the library is a root');
  assert.deepEqual(existing.roots.includes('/'), false, 'a library folder the rules refuse (/) is no root');
  assert.deepEqual(
    existing.refusedExisting([other, '/']).map((x) => x.folder),
    ['/'],
  );

  const given = new RootPolicy({ loopbackOpen: false, dbPath: db, home, roots: [other] });
  assert.match(given.refusal(pictures) ?? '', /outside/, '--roots replaces the defaults');
  assert.equal(given.refusal(other), null);
  assert.match(given.refusedRoot('/') ?? '', /root of a disk/);
  assert.match(given.refusedRoot('/etc') ?? '', /system folder/);
  assert.equal(given.refusedRoot(tmp), null, 'a root may hold the index folder; adding that folder is what is refused');
});

test('roots: a link into a system folder is judged by where it leads', (t) => {
  const { tmp, home, pictures, db } = tree();
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.symlinkSync('/etc', path.join(pictures, 'etc-link'));
  const p = new RootPolicy({ loopbackOpen: false, dbPath: db, home, roots: [pictures] });
  assert.match(p.refusal(path.join(pictures, 'etc-link')) ?? '', /system folder/);
});

test('jsonDepth counts nesting outside strings and stops early', () => {
  assert.equal(jsonDepth('[]', 32), 1);
  assert.equal(jsonDepth('[{"a":[1,{"b":2}]}]', 32), 4);
  assert.equal(jsonDepth('["[[[[", "\\"[[["]', 32), 1, 'brackets in strings (and escaped quotes) do not count');
  assert.equal(jsonDepth('['.repeat(100_000), 32), 33, 'stops at the first level past the limit');
});

test('slots: a ceiling overall and per key; a release is counted once', () => {
  const s = new Slots(2);
  const a = s.take()!;
  const b = s.take()!;
  assert.equal(s.take(), null);
  a();
  a();
  assert.equal(s.inUse, 1);
  assert.ok(s.take());
  b();

  const k = new KeyedSlots(2, 3);
  const x1 = k.take('x')!;
  k.take('x');
  assert.equal(k.take('x'), null, 'per key');
  k.take('y');
  assert.equal(k.take('z'), null, 'overall');
  x1();
  assert.ok(k.take('z'));
});

test('failed sign-ins: 5 a minute per address, 20 an hour from all; the wait is told in seconds', () => {
  let now = 1_000_000;
  const f = new FailureLimiter(5, 20, () => now);
  for (let i = 0; i < 5; i++) {
    assert.equal(f.retryAfter('a'), 0);
    f.fail('a');
  }
  assert.equal(f.retryAfter('a'), 60);
  assert.equal(f.retryAfter('b'), 0, 'another address is not held back by a');
  now += 30_000;
  assert.equal(f.retryAfter('a'), 30);
  now += 30_001;
  assert.equal(f.retryAfter('a'), 0, 'a minute later');
  for (let i = 0; i < 15; i++) f.fail(`c${i}`);
  assert.ok(f.retryAfter('new') > 3000, '20 failures in the hour hold everyone back');
});

test('allowed Host names: loopback names with the port; a public name with the port or bare; nothing else', () => {
  const lo = allowedHosts('127.0.0.1', 8618, ['Photos.Home.Lan', 'nas.lan:8443']);
  for (const h of ['127.0.0.1:8618', 'localhost:8618', '[::1]:8618', 'photos.home.lan:8618', 'photos.home.lan', 'nas.lan:8443']) assert.ok(lo.has(h), h);
  for (const h of ['127.0.0.1', 'localhost:8619', 'evil.example:8618', 'nas.lan', 'nas.lan:8618', '0.0.0.0:8618']) assert.ok(!lo.has(h), h);
  const lan = allowedHosts('192.168.1.20', 8618);
  assert.ok(lan.has('192.168.1.20:8618'));
  assert.ok(!lan.has('localhost:8618'), 'bound to one LAN address: not loopback names');
});
