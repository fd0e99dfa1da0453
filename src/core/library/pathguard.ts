// The one rule for reading files on behalf of a window: only photos the library has indexed,
// inside its folders. The renderer (or a browser on the network) names files by path, so every
// such request passes here. '..' is resolved first. Indexed, not merely "inside a folder": a
// file the scanner skipped (a hidden folder, a sidecar, a link the library never followed) is
// not the library's to show, however it is named.
import { realpath } from 'node:fs/promises';
import { extname, isAbsolute, resolve, sep } from 'node:path';
import { imageExtensions } from '../analysis/scan.js';

/** Outside the library's folders, or not a photo at all (the server answers 403). */
export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathRefusedError';
  }
}

/** Under a library folder, but no photo the library indexed (the server answers 404). */
export class PathNotIndexedError extends PathRefusedError {
  constructor(message: string) {
    super(message);
    this.name = 'PathNotIndexedError';
  }
}

export class PathGuard {
  private readonly exts = imageExtensions();
  private folders: string[] = [];

  /** `isIndexed(path)`: whether the library holds an indexed photo at exactly this path. */
  constructor(private readonly isIndexed: (path: string) => boolean = () => false) {}

  /** Sets the library's folders (call again whenever the library changes). */
  setFolders(folders: string[]): void {
    this.folders = folders.map((f) => resolve(f));
  }

  /** The real path of `p` if it is an indexed photo in a library folder; throws PathRefusedError otherwise. */
  async check(p: string): Promise<string> {
    if (typeof p !== 'string' || !isAbsolute(p) || p.includes('\0')) throw new PathRefusedError('not an absolute file path');
    const asked = resolve(p);
    const under = (x: string, roots: string[]) => roots.some((r) => x.startsWith(r.endsWith(sep) ? r : r + sep));
    if (!under(asked, this.folders)) throw new PathRefusedError(`refused: ${p} is not a photo in a library folder`);
    // Same answer whether the file exists or not: a caller must not learn which files exist.
    const notIndexed = () => new PathNotIndexedError(`${p} is not a photo the library has indexed`);
    if (!this.isIndexed(asked)) throw notIndexed();
    let real: string;
    try {
      // The scanner follows links a person put in a library folder, and indexes the photo under
      // the path it was reached by; the file read is where that link leads.
      real = await realpath(asked);
    } catch {
      throw notIndexed();
    }
    if (!this.exts.has(extname(real).slice(1).toLowerCase())) throw new PathRefusedError(`refused: ${p} is not a photo in a library folder`);
    return real;
  }
}
