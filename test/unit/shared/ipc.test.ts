// The Electron shell's pure parts (src/shared/ipc.ts): what main accepts from the page and from the
// utility process, error shapes, and photowords:// URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSON_METHODS, DEFAULT_THUMB_SIZE } from '../../../src/shared/api.js';
import { METHOD_ARITY, checkCall, checkSimilarFile, fileUrl, isIndexerMessage, isIndexerRequest, parseProtocolUrl, thumbUrl, toBytes, toErrorShape } from '../../../src/shared/ipc.js';

test('checkCall accepts the API methods with their arguments and refuses anything else', () => {
  assert.deepEqual(Object.keys(METHOD_ARITY).sort(), [...JSON_METHODS].sort());
  assert.deepEqual(checkCall('listFolders', []), { method: 'listFolders', args: [] });
  assert.deepEqual(checkCall('status', undefined), { method: 'status', args: [] });
  assert.deepEqual(checkCall('similar', [3, { top: 10 }]), { method: 'similar', args: [3, { top: 10 }] });
  for (const [method, args] of [
    ['similarToFile', []], // has its own channel for the bytes
    ['close', []],
    ['thumbnailFile', ['/etc/passwd']],
    ['constructor', []],
    ['__proto__', []],
    [42, []],
    ['addFolder', '/tmp'],
    ['addFolder', ['/a', '/b']],
    ['status', [1]],
  ] as [unknown, unknown][]) {
    const r = checkCall(method, args);
    assert.ok('error' in r, `${String(method)} ${JSON.stringify(args)} should be refused`);
    assert.equal(r.error.code, 'bad-request');
  }
});

test('checkSimilarFile takes bytes as ArrayBuffer, Uint8Array or Buffer and refuses empty or nameless files', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  for (const b of [bytes, bytes.buffer, Buffer.from(bytes)]) {
    const r = checkSimilarFile('a.jpg', b, undefined);
    assert.ok(!('error' in r));
    assert.deepEqual([...r.file.bytes], [1, 2, 3]);
  }
  assert.ok('error' in checkSimilarFile('a.jpg', new Uint8Array(0), undefined));
  assert.ok('error' in checkSimilarFile(undefined, bytes, undefined));
  assert.ok('error' in checkSimilarFile('a.jpg', 'not bytes', undefined));
  assert.ok('error' in checkSimilarFile('a.jpg', bytes, 'top=5'));
  const withOpts = checkSimilarFile('a.jpg', bytes, { top: 5 });
  assert.ok(!('error' in withOpts) && withOpts.opts?.top === 5);
  assert.equal(toBytes(new DataView(new ArrayBuffer(4), 1, 2))?.byteLength, 2);
});

test('toErrorShape keeps the codes the UI knows and calls everything else internal', () => {
  assert.deepEqual(toErrorShape(Object.assign(new Error('outside the library'), { code: 'forbidden' })), { message: 'outside the library', code: 'forbidden' });
  assert.deepEqual(toErrorShape(Object.assign(new Error('no such file'), { code: 'ENOENT' })), { message: 'no such file', code: 'internal' });
  assert.deepEqual(toErrorShape('plain'), { message: 'plain', code: 'internal' });
});

test('messages between main and the utility process are checked on arrival', () => {
  assert.ok(isIndexerRequest({ type: 'call', id: 1, method: 'status', args: [] }));
  assert.ok(isIndexerRequest({ type: 'thumbnail', id: 2, path: '/p.jpg', size: 320 }));
  assert.ok(isIndexerRequest({ type: 'similarToFile', id: 3, file: { name: 'x.jpg', bytes: new Uint8Array(1) } }));
  assert.ok(isIndexerRequest({ type: 'open', dbPath: '/tmp/l.db' }));
  assert.ok(isIndexerRequest({ type: 'shutdown' }));
  assert.ok(!isIndexerRequest({ type: 'call', id: 1, method: 'close', args: [] }));
  assert.ok(!isIndexerRequest({ type: 'call', method: 'status', args: [] }));
  assert.ok(!isIndexerRequest({ type: 'file', id: 1 }));
  assert.ok(!isIndexerRequest(null));

  assert.ok(isIndexerMessage({ type: 'reply', id: 1, result: null }));
  assert.ok(isIndexerMessage({ type: 'reply', id: 1, error: { message: 'm', code: 'forbidden' } }));
  assert.ok(isIndexerMessage({ type: 'event', event: { type: 'library', folders: [] } }));
  assert.ok(isIndexerMessage({ type: 'fatal', error: { message: 'm', code: 'internal' } }));
  assert.ok(!isIndexerMessage({ type: 'reply', id: 1 }));
  assert.ok(!isIndexerMessage({ type: 'event', event: { type: 'other' } }));
  assert.ok(!isIndexerMessage('ready'));
});

test('photowords:// URLs round-trip any path and refuse what is not ours', () => {
  const odd = '/photos/été 2024/a&b=c?#%.jpg';
  assert.deepEqual(parseProtocolUrl(thumbUrl(odd, 160)), { kind: 'thumb', path: odd, size: 160 });
  assert.deepEqual(parseProtocolUrl(thumbUrl(odd)), { kind: 'thumb', path: odd, size: DEFAULT_THUMB_SIZE });
  assert.deepEqual(parseProtocolUrl(fileUrl('C:\\Users\\a\\b.jpg')), { kind: 'file', path: 'C:\\Users\\a\\b.jpg' });
  assert.deepEqual(parseProtocolUrl('photowords://thumb/?path=%2Fa.jpg&size=-3'), { kind: 'thumb', path: '/a.jpg', size: DEFAULT_THUMB_SIZE });
  assert.deepEqual(parseProtocolUrl('photowords://app/'), { kind: 'app', file: 'index.html' });
  assert.deepEqual(parseProtocolUrl('photowords://app/assets/index-1.js'), { kind: 'app', file: 'assets/index-1.js' });
  // '..' is resolved by the URL parser and cannot climb above the app's folder.
  assert.deepEqual(parseProtocolUrl('photowords://app/../../etc/passwd'), { kind: 'app', file: 'etc/passwd' });
  assert.equal(parseProtocolUrl('photowords://app/%2e%2e%2fetc%2fpasswd'), null);
  assert.equal(parseProtocolUrl('photowords://app/a%5cb'), null);
  assert.equal(parseProtocolUrl('photowords://file/'), null);
  assert.equal(parseProtocolUrl('photowords://file/etc/passwd?path=/a.jpg'), null);
  assert.equal(parseProtocolUrl('photowords://other/?path=/a.jpg'), null);
  assert.equal(parseProtocolUrl('file:///etc/passwd'), null);
  assert.equal(parseProtocolUrl('not a url'), null);
});
