// Worker-thread entry that builds the query index (ImpactIndex) of a library off the main thread,
// started by liveindex.ts: it opens the database read-only on its own connection, builds from one
// consistent snapshot of the bags, posts the index's typed arrays back as transferables, and ends.
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ImpactThreadInit, ImpactThreadReply } from './impact-worker.js';

const init = workerData as ImpactThreadInit;
const post = (m: ImpactThreadReply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

try {
  // In the Electron utility process better-sqlite3 must load its Electron build; each thread has
  // its own module cache, so this thread makes the same swap as src/main/sqlite-binding.ts
  // (useSqliteBinding) before the first import of better-sqlite3 below.
  if (init.sqliteBinding && fs.existsSync(init.sqliteBinding)) {
    const require = createRequire(import.meta.url);
    const root = path.dirname(require.resolve('better-sqlite3/package.json'));
    const key = fs.realpathSync(path.join(root, 'build', 'Release', 'better_sqlite3.node'));
    if (!require.cache[key]) {
      const addon: unknown = require(init.sqliteBinding);
      require.cache[key] = { id: key, filename: key, loaded: true, exports: addon, children: [], paths: [], path: path.dirname(key) } as unknown as NodeJS.Module;
    }
  }
  const { ImpactIndex } = await import('./impact-index.js');
  const { withStoredBags } = await import('../index/store/words.js');
  const t = performance.now();
  const index = withStoredBags(init.dbPath, (bags) => ImpactIndex.build(bags));
  const parts = index.toParts();
  post({ type: 'built', parts, ms: performance.now() - t }, ImpactIndex.transferables(parts));
} catch (e) {
  post({ type: 'error', message: (e as Error).message ?? String(e) });
}
