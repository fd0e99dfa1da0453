// Worker-thread entry that decodes HEIF files (heic.ts) for heic-worker.ts: libheif in
// WebAssembly runs synchronously, and a 12 MP picture takes most of a second of CPU (docs/FORMATS.md,
// "What a 12 MP HEIC costs"), which on the engine's thread would hold up every query and write meanwhile.
import { parentPort } from 'node:worker_threads';
import { DecodeError } from './decode-error.js';
import { decodeHeif } from './heic.js';
import type { HeicThreadReply, HeicThreadRequest } from './heic-worker.js';

parentPort!.on('message', (m: HeicThreadRequest) => {
  let reply: HeicThreadReply;
  try {
    const img = decodeHeif(m.input, m.minLongSide);
    reply = { id: m.id, image: img };
    parentPort!.postMessage(reply, [img.pixels.buffer as ArrayBuffer]);
  } catch (err) {
    const e = err instanceof DecodeError ? err : new DecodeError('unknown', 'could not read image', String(err));
    reply = { id: m.id, error: { code: e.code, reason: e.reason, detail: e.detail } };
    parentPort!.postMessage(reply);
  }
});
