// The shell's own settings (not the library's, which live in its database): a small JSON file in
// Electron's userData folder. No Electron import, so plain-Node tests read and write it.
import fs from 'node:fs';
import path from 'node:path';

export interface AppSettings {
  /** Closing the window hides it and indexing goes on (quit from the tray). Default on. */
  keepRunningInBackground: boolean;
  /** The "keeps indexing in the background" note was shown (once, the first time the window is closed). */
  backgroundNoteShown: boolean;
}

export const DEFAULT_APP_SETTINGS: Readonly<AppSettings> = Object.freeze({
  keepRunningInBackground: true,
  backgroundNoteShown: false,
});

export const APP_SETTINGS_FILE = 'app-settings.json';

/** The settings in `file`; defaults for what is missing, of the wrong type, or unreadable (never throws). */
export function loadAppSettings(file: string): AppSettings {
  const settings: AppSettings = { ...DEFAULT_APP_SETTINGS };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return settings; // none yet, or damaged: start from the defaults
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return settings;
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_APP_SETTINGS) as (keyof AppSettings)[]) {
    if (typeof r[key] === 'boolean') settings[key] = r[key];
  }
  return settings;
}

/** Writes the settings whole (a temporary file renamed over the old one, so a crash leaves either). */
export function saveAppSettings(file: string, settings: AppSettings): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
