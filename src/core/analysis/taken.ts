// When a photo was taken, for the grid's date order and its month and day sections.
//
// EXIF dates ("2024:05:03 14:22:10") carry no time zone: they are the camera's wall clock. They
// are kept as that wall clock, written as if it were UTC (Date.UTC of its fields), so a photo taken
// at 23:30 belongs to its own day wherever and whenever the library is browsed, and SQLite can
// group by day with plain strftime, no time zone involved. A photo without a usable EXIF date
// takes its file's modification time, turned into the engine's local wall clock the same way, and
// is marked 'mtime' so the UI can say the date is only the file's.
import exifr from 'exifr';

export type TakenFrom = 'exif' | 'mtime';

export interface Taken {
  /** Wall-clock ms as if UTC (see above). */
  taken: number;
  from: TakenFrom;
}

// Tags in the order they are trusted: the moment of the shot, then when the file was made from
// it (a scan, an export). ModifyDate is left out on purpose: editors rewrite it.
const TAGS = ['DateTimeOriginal', 'CreateDate'] as const;

// Dates outside these years are a camera's unset clock ("0000:00:00", 1970) or garbage.
const MIN_YEAR = 1826; // the oldest surviving photograph
const MAX_YEAR = 2200;

/**
 * An EXIF date string to wall-clock ms as if UTC; undefined for a blank, zeroed or malformed one.
 * Accepts "YYYY:MM:DD HH:MM:SS" and the ISO-like "YYYY-MM-DDTHH:MM:SS" some writers use; an
 * offset or zone after the time is ignored (the wall clock is what is kept).
 */
export function parseExifDate(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^\s*(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', sec = '0'] = m.slice(1);
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(sec));
  // Date.UTC rolls 31 April over into May: such a date was never on a calendar.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}

/** A file time (ms since 1970) as the engine's local wall clock, written as if UTC. */
export function localWallClock(mtimeMs: number): number {
  return mtimeMs - new Date(mtimeMs).getTimezoneOffset() * 60_000;
}

// One options object for every call: exifr keeps the Options it makes from an object in a Map
// keyed by that object (never let go), so a new object a call kept about 9 KB a photo for good:
// 9 GB over a first index of a million files (bench/daemon-memory.ts). reviveValues off: exifr
// would turn the string into a Date in this machine's zone.
const EXIF_OPTIONS = Object.freeze({ pick: [...TAGS], reviveValues: false });

/** The EXIF date of a photo's bytes or file, as wall-clock ms; undefined when it has none (or no readable EXIF). */
export async function exifTaken(input: Buffer | string): Promise<number | undefined> {
  try {
    const t = (await exifr.parse(input, EXIF_OPTIONS)) as Record<string, unknown> | undefined;
    for (const tag of TAGS) {
      const ms = parseExifDate(t?.[tag]);
      if (ms !== undefined) return ms;
    }
  } catch {
    // A photo whose EXIF cannot be read (a format exifr does not know, a cut-off header) is
    // dated by its file, like one without EXIF; it is never a reason to fail the photo.
  }
  return undefined;
}

/** When the photo was taken: its EXIF date, else its file's mtime (marked so). */
export async function takenOf(input: Buffer | string, mtimeMs: number): Promise<Taken> {
  const exif = await exifTaken(input);
  return exif !== undefined ? { taken: exif, from: 'exif' } : { taken: localWallClock(mtimeMs), from: 'mtime' };
}
