// A zip of photos, streamed: each file is read once, in chunks, and written as a "stored" entry
// (photos are compressed already; deflating JPEGs again saves about 1% for a lot of CPU), its
// CRC-32 and sizes in a data descriptor after the data, so nothing is buffered whole and the
// download starts at once. Names are UTF-8 (flag bit 11). No library in the tree streams zips
// (adm-zip builds them in memory); `yazl` would be the one to add for ZIP64: without it an
// archive stays under 4 GiB and 65,535 entries, which zipLimits() checks before a byte is sent.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

export const ZIP_MAX_BYTES = 0xffff_ffff;
export const ZIP_MAX_ENTRIES = 0xffff;

export interface ZipSource {
  /** The file to read. */
  file: string;
  /** Its name in the archive. */
  name: string;
  size: number;
  mtimeMs: number;
}

/** Why these files cannot go in one zip without ZIP64, or null when they can. */
export function zipLimits(files: { name: string; size: number }[]): string | null {
  if (files.length > ZIP_MAX_ENTRIES) return `A download holds at most ${ZIP_MAX_ENTRIES.toLocaleString('en')} photos; ${files.length.toLocaleString('en')} are selected.`;
  // Headers and descriptors take a little room too (30 + 16 + 46 bytes and the name twice per file).
  const total = files.reduce((n, f) => n + f.size + 92 + 2 * Buffer.byteLength(f.name), 22);
  if (total > ZIP_MAX_BYTES) return `A download holds at most 4 GB; these photos are ${(total / 2 ** 30).toFixed(1)} GB. Select fewer, or use the desktop app's Export (a copy to a folder).`;
  return null;
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

function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const year = Math.min(2107, Math.max(1980, d.getFullYear()));
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

const FLAGS = 0x0808; // bit 3: sizes and CRC in a data descriptor; bit 11: UTF-8 names
const VERSION = 20; // 2.0: stored entries, data descriptors

/**
 * The archive as a stream. A file that changed size since it was checked is written as it is now
 * (the descriptor carries what was read); one that cannot be read ends the stream with an error,
 * which the browser shows as a failed download, never a zip that silently lacks a photo.
 */
export function zipStream(sources: ZipSource[]): Readable {
  async function* entries(): AsyncGenerator<Buffer> {
    const central: Buffer[] = [];
    let offset = 0;
    for (const s of sources) {
      const name = Buffer.from(s.name, 'utf8');
      const { time, date } = dosTime(s.mtimeMs);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(VERSION, 4);
      local.writeUInt16LE(FLAGS, 6);
      local.writeUInt16LE(0, 8); // stored
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      // CRC and sizes (14..25) are 0 here: the data descriptor has them.
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      yield local;
      yield name;
      let crc = 0;
      let size = 0;
      for await (const chunk of fs.createReadStream(s.file)) {
        const b = chunk as Buffer;
        crc = zlib.crc32(b, crc);
        size += b.length;
        yield b;
      }
      if (offset + 30 + name.length + size > ZIP_MAX_BYTES) throw new Error(`the archive grew past 4 GB at ${s.name}`);
      const desc = Buffer.alloc(16);
      desc.writeUInt32LE(0x08074b50, 0);
      desc.writeUInt32LE(crc >>> 0, 4);
      desc.writeUInt32LE(size, 8);
      desc.writeUInt32LE(size, 12);
      yield desc;
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE((3 << 8) | VERSION, 4); // made by: Unix
      cd.writeUInt16LE(VERSION, 6);
      cd.writeUInt16LE(FLAGS, 8);
      cd.writeUInt16LE(0, 10);
      cd.writeUInt16LE(time, 12);
      cd.writeUInt16LE(date, 14);
      cd.writeUInt32LE(crc >>> 0, 16);
      cd.writeUInt32LE(size, 20);
      cd.writeUInt32LE(size, 24);
      cd.writeUInt16LE(name.length, 28);
      // extra, comment, disk number, internal attributes: 0
      cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
      cd.writeUInt32LE(offset, 42);
      central.push(cd, name);
      offset += 30 + name.length + size + 16;
    }
    const cdSize = central.reduce((n, b) => n + b.length, 0);
    if (offset + cdSize > ZIP_MAX_BYTES) throw new Error('the archive grew past 4 GB');
    for (const b of central) yield b;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(sources.length, 8);
    end.writeUInt16LE(sources.length, 10);
    end.writeUInt32LE(cdSize, 12);
    end.writeUInt32LE(offset, 16);
    yield end;
  }
  return Readable.from(entries(), { objectMode: false });
}
