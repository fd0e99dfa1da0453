// The index's errors, in words a person can act on.

/**
 * The index was built by another model or other settings than it is opened with: its words are
 * not comparable with new ones. Typed so that callers which know the stored settings are the
 * ones wanted (the app's library, eval's cache) can rebuild instead of failing.
 */
export class FingerprintMismatchError extends Error {
  constructor(
    readonly path: string,
    readonly stored: string,
    readonly current: string,
    readonly storedSettings: string,
    readonly currentSettings: string,
  ) {
    super(
      `Index at ${path} was built with other settings (fingerprint ${stored}, settings ${storedSettings}); ` +
        `the current ones are fingerprint ${current}, settings ${currentSettings}. ` +
        'Its visual words are not comparable with new ones. Re-index from scratch with --rebuild ' +
        '(rebuild: true in the API; this clears the stored photos), or use another index path.',
    );
    this.name = 'FingerprintMismatchError';
  }
}

/**
 * Writing the index failed for a reason no photo is to blame for (the disk is full, the file or
 * its folder became read-only, an I/O error): indexing stops with this message, and everything
 * committed before stays as it was.
 */
export class IndexWriteError extends Error {
  constructor(
    message: string,
    /** SQLite's extended result code, e.g. SQLITE_FULL. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'IndexWriteError';
  }
}

/**
 * SQLite's write failures in words a person can act on. SQLITE_FULL etc. are not any photo's
 * fault, so the indexer stops on an IndexWriteError instead of blaming the photo in hand.
 */
export function writeError(err: unknown, path: string): unknown {
  if (err instanceof IndexWriteError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const kept = 'Every photo stored before this is kept; run indexing again to go on.';
  if (code === 'SQLITE_FULL') {
    return new IndexWriteError(`the disk is full: could not write the index ${path} (SQLITE_FULL). Free some space on that disk. ${kept}`, code);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new IndexWriteError(`cannot write the index ${path}: the file or its folder is read-only or not permitted (${code}). ${kept}`, code);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new IndexWriteError(`disk error while writing the index ${path} (${code}: ${(err as Error).message}). ${kept}`, code);
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return new IndexWriteError(`the index ${path} is damaged (${code}: ${(err as Error).message}); move it aside and index again.`, code);
  }
  return err;
}

/** Runs `fn` in one transaction (nested calls become savepoints); see IndexStore.transaction. */
export type Transaction = <T>(fn: () => T) => T;
