// The first stage: walk the scan, record what it cannot read or will not read, and keep the files
// that are new or changed since the last run (the only ones the later stages see).
import type { ScanResult } from '../../analysis/scan.js';
import { TRANSIENT_FAILURES, type DecodeFailureCode } from '../../analysis/decode/decode.js';
import type { IndexStore, NotReadEntry } from '../store.js';
import type { RunState, TodoFile } from './run-state.js';

export async function planRun(
  scan: AsyncIterable<ScanResult>,
  store: IndexStore,
  state: RunState,
  signal: AbortSignal | undefined,
  /** The folders `scan` walks: a scan that ends unaborted drops their not-read rows it did not find. */
  scannedRoots?: string[],
): Promise<TodoFile[]> {
  const { progress, failures, notRead } = state;
  const notReadMark = scannedRoots ? store.notReadMark() : 0;
  const unreadRoots = new Set<string>();
  // Written a few hundred at a time: a folder of sidecars is thousands of rows.
  const notReadRows: NotReadEntry[] = [];
  const writeNotRead = () => store.putNotReadMany(notReadRows.splice(0));

  const todo: TodoFile[] = [];
  let n = 0;
  for await (const entry of scan) {
    // A list in memory never waits: other work (the UI's calls, progress) gets a turn.
    if (++n % 1000 === 0) await new Promise<void>((r) => setImmediate(r));
    if (entry.kind === 'failure') {
      failures.push({ path: entry.path, reason: entry.reason });
      if (!entry.folder) {
        store.putFailed({ path: entry.path, size: 0, mtimeMs: 0 }, entry.reason);
        progress.failed++;
      } else unreadRoots.add(entry.path);
      continue;
    }
    if (entry.kind === 'not-read') {
      notRead.add(entry.notRead, entry.files, entry.path);
      notReadRows.push({ path: entry.path, kind: entry.notRead, files: entry.files });
      if (notReadRows.length >= 256) writeNotRead();
      continue;
    }
    const known = store.getByPath(entry.path);
    if (!known) {
      // A file the decoder found too small is not read again until it changes.
      const was = store.getNotRead(entry.path);
      if (was?.kind === 'too-small' && was.size === entry.size && was.mtimeMs === entry.mtimeMs) {
        store.markNotRead(entry.path);
        notRead.add('too-small', 1, entry.path);
        continue;
      }
      if (was) store.forgetNotRead(entry.path);
    }
    // Unchanged since last time (indexed or failed): no work at all. A transient failure (a
    // permission since fixed, a file caught mid-write) is read again, as chmod keeps the mtime.
    const transient = known?.status === 'failed' && TRANSIENT_FAILURES.has(known.failureCode as DecodeFailureCode);
    if (known && known.size === entry.size && known.mtimeMs === entry.mtimeMs && !transient) {
      progress.skipped++;
      continue;
    }
    todo.push(entry);
  }
  progress.total = todo.length;
  writeNotRead();
  // Only a whole scan knows what is gone; a root it could not read keeps what it had.
  if (scannedRoots && !signal?.aborted) {
    for (const root of scannedRoots) if (!unreadRoots.has(root)) store.sweepNotRead(root, notReadMark);
  }
  return todo;
}
