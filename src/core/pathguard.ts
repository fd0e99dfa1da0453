// The one rule for reading files on behalf of a window: only image files inside the library's
// folders. The renderer (or a browser on the network) names files by path, so every such request
// passes here. '..' is resolved first; a symlink that leads outside is followed only to a photo
// the library itself indexed through it (the scanner follows links a person put in a library
// folder), never to anything else.
import { realpath } from 'node:fs/promises';
import { extname, isAbsolute, resolve, sep } from 'node:path';
import { imageExtensions } from './scan.js';

export class PathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathRefusedError';
  }
}

export class PathGuard {
  private readonly exts = imageExtensions();
  private folders: string[] = [];
  private roots: Promise<string[]> = Promise.resolve([]);

  /** `isIndexed(path)`: whether the library holds a photo at exactly this path. */
  constructor(private readonly isIndexed: (path: string) => boolean = () => false) {}

  /** Sets the folders whose images may be read (call again whenever the library changes). */
  setFolders(folders: string[]): void {
    this.folders = folders.map((f) => resolve(f));
    // Real paths of the roots too: a library folder reached through a symlink must still match.
    this.roots = Promise.all(folders.map((f) => realpath(f).catch(() => f)));
  }

  /** The real path of `p` if it is an image inside a library folder; throws PathRefusedError otherwise. */
  async check(p: string): Promise<string> {
    if (typeof p !== 'string' || !isAbsolute(p) || p.includes('\0')) throw new PathRefusedError('not an absolute file path');
    const asked = resolve(p);
    const under = (x: string, roots: string[]) => roots.some((r) => x.startsWith(r.endsWith(sep) ? r : r + sep));
    if (!under(asked, this.folders)) throw new PathRefusedError(`refused: ${p} is not a photo in a library folder`);
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      // Same answer as for a file outside: a caller must not learn which files exist elsewhere.
      throw new PathRefusedError(`refused: ${p} is not a photo in a library folder`);
    }
    const inside = under(real, await this.roots) || this.isIndexed(asked);
    if (!inside || !this.exts.has(extname(real).slice(1).toLowerCase())) {
      throw new PathRefusedError(`refused: ${p} is not a photo in a library folder`);
    }
    return real;
  }
}
