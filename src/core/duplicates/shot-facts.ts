// What a photo's file says about the shot besides its pixels (EXIF camera, lens, capture time):
// a copy, re-save or edit keeps these or drops them, never gets other ones, so two files that
// disagree are two shots however alike they look (docs/DUPLICATES.md#how).
import exifr from 'exifr';

// One options object each, made once: exifr keeps the options it derives from each object it is
// given in a module-level map keyed by that object, never freed (~8 KB a call with a new literal).
const DATE_TAGS = { pick: ['DateTimeOriginal', 'CreateDate'] };
const SHOT_TAGS = { pick: ['Make', 'Model', 'LensModel', 'DateTimeOriginal', 'SubSecTimeOriginal'] };

/** EXIF DateTimeOriginal (else CreateDate), or null: breaks keeper ties and finds bursts. */
export async function captureDate(file: string): Promise<Date | null> {
  try {
    const t = (await exifr.parse(file, DATE_TAGS)) as { DateTimeOriginal?: unknown; CreateDate?: unknown } | undefined;
    const d = t?.DateTimeOriginal ?? t?.CreateDate;
    return d instanceof Date && !Number.isNaN(d.getTime()) ? d : null;
  } catch {
    return null;
  }
}

/** What a photo's EXIF says about the shot itself (not about the file): what took it, and when. */
export interface ShotFacts {
  camera?: string;
  lens?: string;
  /** DateTimeOriginal in ms, and its sub-second part when the camera wrote one. */
  taken?: number;
  subsec?: number;
}

export async function shotFacts(file: string): Promise<ShotFacts> {
  try {
    const t = (await exifr.parse(file, SHOT_TAGS)) as { Make?: unknown; Model?: unknown; LensModel?: unknown; DateTimeOriginal?: unknown; SubSecTimeOriginal?: unknown } | undefined;
    if (!t) return {};
    const f: ShotFacts = {};
    const str = (x: unknown) => (typeof x === 'string' || typeof x === 'number' ? String(x).trim() : '');
    const camera = [str(t.Make), str(t.Model)].filter(Boolean).join(' ');
    if (str(t.Model)) f.camera = camera.toLowerCase();
    if (str(t.LensModel)) f.lens = str(t.LensModel).toLowerCase();
    if (t.DateTimeOriginal instanceof Date && !Number.isNaN(t.DateTimeOriginal.getTime())) f.taken = t.DateTimeOriginal.getTime();
    const sub = str(t.SubSecTimeOriginal);
    if (/^\d+$/.test(sub)) f.subsec = Number(`0.${sub}`);
    return f;
  } catch {
    return {};
  }
}

/**
 * Why two photos are different shots by what their files say besides the pixels, or undefined.
 * A copy, re-save or edit keeps its original's camera, lens and capture time or drops them; it
 * never gets other ones. So only facts both files carry are compared: a missing one decides
 * nothing.
 */
export function differentShots(a: ShotFacts, b: ShotFacts): string | undefined {
  if (a.camera && b.camera && a.camera !== b.camera) return 'different cameras';
  if (a.lens && b.lens && a.lens !== b.lens) return 'different lenses';
  if (a.taken !== undefined && b.taken !== undefined) {
    // DateTimeOriginal has whole seconds; a burst's frames share one, and only the sub-second
    // field (when both have it) tells them apart.
    if (Math.abs(a.taken - b.taken) >= 1000) return 'taken at different times';
    if (a.subsec !== undefined && b.subsec !== undefined && a.subsec !== b.subsec) return 'taken at different times';
  }
  return undefined;
}
