// A zip of photos for the browser's Export, streamed by yazl: each file is opened only when its
// turn comes and read once, as a "stored" entry (photos are compressed already; deflating JPEGs
// again saves about 1% for a lot of CPU), so nothing is held whole and the download starts at
// once. yazl writes ZIP64 records where an archive passes 4 GiB or 65,535 entries, and UTF-8 names.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import yazl from 'yazl';

export interface ZipSource {
  /** The file to read. */
  file: string;
  /** Its name in the archive. */
  name: string;
  size: number;
  mtimeMs: number;
}

/** File names made unique within one archive or folder: "a.jpg", "a (2).jpg", ... (case-insensitively, for Windows and macOS). */
export function uniqueNames(names: string[]): string[] {
  const taken = new Set<string>();
  return names.map((n) => {
    const ext = path.extname(n);
    const stem = n.slice(0, n.length - ext.length);
    let candidate = n;
    for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${stem} (${i})${ext}`;
    taken.add(candidate.toLowerCase());
    return candidate;
  });
}

/**
 * The archive as a stream. A file that cannot be read, or whose size changed since it was
 * checked, ends the stream with an error, which the browser shows as a failed download, never a
 * zip that silently lacks a photo.
 */
export function zipStream(sources: ZipSource[]): Readable {
  const zip = new yazl.ZipFile();
  const out = new PassThrough();
  zip.on('error', (e: Error) => out.destroy(e));
  for (const s of sources) {
    zip.addReadStreamLazy(s.name, { mtime: new Date(s.mtimeMs), mode: 0o100644, compress: false, size: s.size }, (cb) => {
      const stream = fs.createReadStream(s.file);
      stream.once('error', (e) => out.destroy(e));
      cb(null, stream);
    });
  }
  zip.end();
  zip.outputStream.pipe(out);
  return out;
}
