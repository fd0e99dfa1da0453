// The worker thread of look-prefetch.ts: decodes photos the checks will ask for next and makes
// their grey image and looks, the same code as on the calling thread (looks.ts), so the answers
// are the same whichever thread made them.
import { parentPort } from 'node:worker_threads';
import { decodeForModel, readImageFile } from '../analysis/decode/decode.js';
import { photoSource } from '../analysis/decode/source.js';
import { greyOfPixels, localLook } from './local.js';
import type { LookReply, LookRequest } from './look-prefetch.js';
import { fineDetail } from './looks.js';

async function made({ id, path, resolution }: LookRequest): Promise<{ reply: LookReply; transfer: ArrayBuffer[] }> {
  try {
    const img = await decodeForModel(await photoSource(path, await readImageFile(path), resolution), resolution);
    const grey = greyOfPixels(img.pixels);
    const local = localLook(grey, img.width, img.height);
    const fine = fineDetail(local.fine.mean);
    return { reply: { id, photo: { grey, width: img.width, height: img.height, look: { fine, local } } }, transfer: [grey.buffer as ArrayBuffer] };
  } catch {
    // Unreadable now: the calling thread's own decode says so too (looks.ts), and the other signals decide.
    return { reply: { id, photo: null }, transfer: [] };
  }
}

parentPort!.on('message', (req: LookRequest) => {
  void made(req).then(({ reply, transfer }) => parentPort!.postMessage(reply, transfer));
});
