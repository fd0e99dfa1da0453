// The indexing utility process (utilityProcess.fork from the main process): the only process of
// the app that loads the engine (src/core). It opens the library at the path main sends, answers
// typed requests from src/shared/ipc.ts by id, and forwards the library's events. The model runs
// in worker threads of this process (src/core/analysis/model/tokenizer-worker.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Library, setHeicThreadEntry, setImpactThread, setLookThreadEntry, setTokenizerThreadEntry } from '../core/index.js';
import { isIndexerRequest, toBytes, toErrorShape, type IndexerMessage, type IndexerRequest, type OpenLibrary } from '../shared/ipc.js';
import { electronSqliteBindingPath, explainOpenError, useSqliteBinding } from './sqlite-binding.js';

const port = process.parentPort;
if (!port) {
  console.error('indexer-process runs only as an Electron utility process (utilityProcess.fork).');
  process.exit(1);
}
const post = (m: IndexerMessage) => port.postMessage(m);
const log = (m: string) => console.log(`[indexer] ${m}`);

const here = path.dirname(fileURLToPath(import.meta.url));
// Built by electron-vite, this file is out/main/indexer-process.js and the tokenizer thread's
// entry is out/main/tokenizer-thread.js (an input of the same build); tokenizer-worker.ts, bundled
// into a chunk, cannot find it beside itself. From source (.ts) its own default is right.
if (path.extname(fileURLToPath(import.meta.url)) === '.js') {
  setTokenizerThreadEntry(path.join(here, 'tokenizer-thread.js'));
  setImpactThread({ entry: path.join(here, 'impact-thread.js') }); // the query index's rebuild thread, likewise
  setHeicThreadEntry(path.join(here, 'heic-thread.js')); // and the HEIF decoder's
  setLookThreadEntry(path.join(here, 'look-thread.js')); // and the duplicate checks' decoder's
}

let resolveLibrary!: (lib: Library) => void;
let rejectLibrary!: (e: unknown) => void;
/** Settles once: the open library, or why it could not be opened. Calls wait for it. */
const library = new Promise<Library>((resolve, reject) => {
  resolveLibrary = resolve;
  rejectLibrary = reject;
});
library.catch(() => undefined); // answered per call; never an unhandled rejection
let openRequested = false;
let shuttingDown = false;

port.on('message', (e) => {
  const m: unknown = e.data;
  if (!isIndexerRequest(m)) {
    log(`ignored a malformed message: ${JSON.stringify(m)?.slice(0, 200)}`);
    return;
  }
  void handle(m);
});

async function handle(m: IndexerRequest): Promise<void> {
  switch (m.type) {
    case 'open':
      return open(m);
    case 'shutdown':
      return shutdown();
    default:
      try {
        const lib = await library;
        if (shuttingDown) throw Object.assign(new Error('Photowords is closing.'), { code: 'unavailable' });
        post({ type: 'reply', id: m.id, result: await dispatch(lib, m) });
      } catch (e) {
        post({ type: 'reply', id: m.id, error: toErrorShape(e) });
      }
  }
}

function dispatch(lib: Library, m: Exclude<IndexerRequest, { type: 'open' } | { type: 'shutdown' }>): Promise<unknown> {
  switch (m.type) {
    case 'call': {
      // The method name was checked against JSON_METHODS (isIndexerRequest), the argument count in main.
      const fn = lib[m.method] as (...args: unknown[]) => Promise<unknown>;
      return fn.apply(lib, m.args);
    }
    case 'similarToFile':
      return lib.similarToFile({ name: m.file.name, bytes: toBytes(m.file.bytes)! }, m.opts);
    case 'thumbnail':
      return lib.thumbnailFile(m.path, m.size);
    case 'file':
      return lib.displayFile(m.path);
    case 'photoTarget':
      return lib.photoTarget(m.path, m.action);
    case 'forgetTrashed':
      return lib.forgetTrashed(m.path, m.quiet);
    case 'trashSettled':
      return Promise.resolve(lib.trashSettled(m.trashed, m.failed));
    case 'duplicatesReport':
      return lib.duplicatesReport(m.format, m.opts);
  }
}

async function open(m: OpenLibrary): Promise<void> {
  if (openRequested) return;
  openRequested = true;
  const electron = process.versions.electron;
  if (electron) {
    const binding = process.env.PHOTOWORDS_SQLITE_BINDING || electronSqliteBindingPath(electron);
    if (useSqliteBinding(binding)) {
      log(`better-sqlite3: Electron build ${binding}`);
      setImpactThread({ sqliteBinding: binding }); // that thread loads it too (its own module cache)
    }
  }
  try {
    const lib = await Library.open(m.dbPath, { provider: m.provider, thumbsDir: m.thumbsDir, log });
    lib.onEvent((event) => post({ type: 'event', event }));
    resolveLibrary(lib);
    post({ type: 'ready', dbPath: lib.dbPath });
  } catch (e) {
    const shape = toErrorShape(e);
    const error = { code: shape.code, message: explainOpenError(shape.message, electron) };
    rejectLibrary(Object.assign(new Error(error.message), { code: error.code }));
    post({ type: 'fatal', error });
    // Let the message go out before the process ends; main does not restart after 'fatal'.
    setTimeout(() => process.exit(2), 200);
  }
}

async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  try {
    if (openRequested) {
      const lib = await library.catch(() => null);
      await lib?.close();
    }
  } catch (e) {
    log(`closing the library failed: ${(e as Error).message}`);
  }
  post({ type: 'closed' });
  setTimeout(() => process.exit(0), 50);
}
