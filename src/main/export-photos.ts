// Electron's "Export": library photos copied as they are into a folder the person chose. Plain
// Node (no Electron import), so test/export-photos.test.ts runs it on real files. A name already
// taken in the folder (or by an earlier photo of the same export) gets " (2)", " (3)" ...: the
// copy refuses an existing file (COPYFILE_EXCL), so nothing there is ever overwritten.
import fs from 'node:fs';
import path from 'node:path';

/** Copies each file into `dir`; returns the names they got, in order. Stops at the first failure with a sentence. */
export async function copyInto(dir: string, files: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) {
    const base = path.basename(file);
    const ext = path.extname(base);
    const stem = base.slice(0, base.length - ext.length);
    for (let i = 1; ; i++) {
      const name = i === 1 ? base : `${stem} (${i})${ext}`;
      try {
        await fs.promises.copyFile(file, path.join(dir, name), fs.constants.COPYFILE_EXCL);
        // The copy keeps the photo's times, as a file manager's copy does.
        const st = await fs.promises.stat(file);
        await fs.promises.utimes(path.join(dir, name), st.atime, st.mtime);
        out.push(name);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && i < 10_000) continue;
        const done = out.length > 0 ? ` (${out.length} copied before it)` : '';
        throw new Error(`${base} could not be copied to ${dir}: ${(e as Error).message}${done}`);
      }
    }
  }
  return out;
}
