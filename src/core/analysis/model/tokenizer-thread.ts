// Worker-thread side of ThreadedTokenizer (tokenizer-worker.ts): hosts the onnxruntime sessions.
//
// onnxruntime-node runs a session synchronously on the calling thread, so a model call on the
// main thread blocks everything else there (hashing, handing decoded photos on, SQLite) for its
// whole duration, and the model then waits for that work between calls. Here the main thread
// stays free and the model runs back to back.
import { parentPort, workerData } from 'node:worker_threads';
import { Tokenizer } from './tokenizer.js';
import type { ThreadInit, ThreadReply, ThreadRequest } from './tokenizer-worker.js';

const port = parentPort;
if (!port) throw new Error('tokenizer-thread must run in a worker thread');
const init = workerData as ThreadInit;
const post = (m: ThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const tokenizer = await Tokenizer.create(init.backbone, init.codebook, init.options);
  port.on('message', async (m: ThreadRequest) => {
    if (m.type === 'release') {
      await tokenizer.release();
      post({ type: 'released' });
      port.close();
      return;
    }
    try {
      const results = await tokenizer.run(m.batch);
      const transfer = results.flatMap((r) => [
        r.grid.tokens.buffer as ArrayBuffer,
        r.pooled.buffer as ArrayBuffer,
        ...(r.grid.soft ? ([r.grid.soft.second.buffer, r.grid.soft.dist1.buffer, r.grid.soft.dist2.buffer] as ArrayBuffer[]) : []),
      ]);
      post({ type: 'result', id: m.id, results }, transfer);
    } catch (e) {
      post({ type: 'error', id: m.id, message: (e as Error).message });
    }
  });
  post({ type: 'ready', provider: tokenizer.provider, unavailable: tokenizer.unavailable });
} catch (e) {
  post({ type: 'error', id: -1, message: (e as Error).message });
}
