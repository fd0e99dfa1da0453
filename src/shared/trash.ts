// Trash, Restore and export as the UI sees them. Part of the API (src/shared/api.ts).

/** What "Move to trash" did: the file is in the system's trash and the library has forgotten it. */
export interface TrashResult {
  path: string;
  name: string;
  /** Its size as indexed. */
  bytes: number;
  /** Indexed photos left in the library. */
  libraryPhotos: number;
  message: string;
}

/** What moving several photos to the trash did, photo by photo: one failing loses nothing of the others. */
export interface TrashManyResult {
  /** In the system's trash and forgotten by the library (and listed by listTrashed). */
  trashed: { path: string; bytes: number }[];
  /** Left where they were, each with why. */
  failed: { path: string; reason: string }[];
  /** Indexed photos left in the library. */
  libraryPhotos: number;
  message: string;
}

/** A file Photowords moved to the system's trash, as the Trash view lists it. */
export interface TrashedPhoto {
  id: number;
  /** Where it was (and where Restore puts it back). */
  path: string;
  name: string;
  /** The library folder it was under. */
  folder: string | null;
  bytes: number;
  width: number | null;
  height: number | null;
  /** When Photowords trashed it (ms since 1970). */
  trashedAt: number;
  /** Restore can put it back now. */
  restorable: boolean;
  /** Why not, when not ("no longer in the trash", "a file is at its place now"). */
  note?: string;
}

export interface TrashedList {
  /** Newest first. */
  items: TrashedPhoto[];
  /** Whether this system lets Photowords put files back from its trash (the XDG trash on Linux). */
  restoreSupported: boolean;
  /** Where the files are, and on a system without Restore how to put them back by hand. */
  message: string;
}

/** What Restore did, file by file. */
export interface RestoreResult {
  /** Back where they were; the library indexes them again. */
  restored: { id: number; path: string }[];
  /** Still in the trash (or gone from it), each with why. */
  failed: { id: number; path: string; reason: string }[];
  message: string;
}

/** How an export ended: saved (where, when the shell knows), or cancelled in the save dialog. */
export interface ExportOutcome {
  saved: boolean;
  /** The file written (Electron); a browser download says only its name. */
  path?: string;
  name: string;
}

/** A checked export, ready to download once (HTTP.exportDownload). */
export interface ExportTicket {
  ticket: string;
  /** The download's file name: the photo's own, or photowords-export-2026-12-06.zip. */
  name: string;
  files: number;
  bytes: number;
}
