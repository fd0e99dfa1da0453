// What the tray icon's menu says and offers, as plain data built from the engine's IndexStatus:
// no Electron import, so plain-Node tests check it (test/unit/main/tray.test.ts) and index.ts only turns
// it into a Menu. The same model feeds the Dock menu on macOS.
import type { IndexStatus } from '../shared/api.js';

export interface TrayInput {
  /** The engine's latest status; null until the library is open. */
  status: IndexStatus | null;
  /** Set when the indexing process cannot go on (it crashed again, or the library would not open). */
  failure?: string;
  /** Quit was chosen: the indexer is finishing the photos in flight and closing the library. */
  quitting: boolean;
  /** Keep running (and indexing) when the window is closed. */
  keepRunning: boolean;
  /** Whether Photowords starts at login; null where this platform has no way to (the item is left out). */
  startAtLogin: boolean | null;
}

export type TrayActionId = 'show' | 'pause' | 'resume' | 'quit';
export type TrayToggleId = 'keep-running' | 'start-at-login';

export type TrayItem =
  /** A line of text (shown disabled). */
  | { kind: 'status'; label: string }
  | { kind: 'separator' }
  | { kind: 'action'; id: TrayActionId; label: string; enabled: boolean }
  | { kind: 'toggle'; id: TrayToggleId; label: string; checked: boolean; enabled: boolean };

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1360 -> "1,360". */
export function formatCount(n: number): string {
  return count.format(Math.max(0, Math.round(n)));
}

/** Photos per second: whole numbers from 10 up, one decimal below ("35 photos/s", "2.4 photos/s"). */
export function formatRate(perSecond: number): string {
  const r = perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
  return `${r} photos/s`;
}

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** A menu label is one short line: the first line of a message, cut at `max` characters. */
export function shorten(text: string, max = 72): string {
  const line = text.split('\n')[0].trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/**
 * The status line at the top of the tray menu:
 * "Starting…", "Up to date · 1,360 photos", "Looking for photos…",
 * "Indexing 120 of 1,360 · 35 photos/s", "Paused · 120 of 1,360", "Error: …".
 */
export function statusLine(input: Pick<TrayInput, 'status' | 'failure' | 'quitting'>): string {
  if (input.quitting) return 'Quitting: finishing the photos in flight…';
  if (input.failure) return shorten(`Error: ${input.failure}`);
  const s = input.status;
  if (!s) return 'Starting…';
  switch (s.state) {
    case 'idle':
      return `Up to date · ${plural(s.libraryPhotos, 'photo', 'photos')}`;
    case 'scanning':
      return 'Looking for photos…';
    case 'indexing': {
      const rate = s.imagesPerSecond > 0 ? ` · ${formatRate(s.imagesPerSecond)}` : '';
      return `Indexing ${formatCount(s.done)} of ${formatCount(s.total)}${rate}`;
    }
    case 'paused':
      return s.total > 0 && s.done < s.total ? `Paused · ${formatCount(s.done)} of ${formatCount(s.total)}` : 'Paused';
    case 'error':
      return shorten(s.message ? `Error: ${s.message.replace(/^Indexing stopped:\s*/, '')}` : 'Error: indexing stopped');
  }
}

/** The tray icon's tooltip (and the macOS menu bar's accessibility text): the status line, failures, the library size. */
export function tooltip(input: TrayInput): string {
  const lines = ['Photowords', statusLine(input)];
  const s = input.status;
  if (s && !input.quitting && !input.failure) {
    if (s.state !== 'idle') lines.push(`${plural(s.libraryPhotos, 'photo', 'photos')} in the library`);
    if (s.failuresTotal > 0) lines.push(`${plural(s.failuresTotal, 'file', 'files')} could not be read`);
  }
  return lines.join('\n');
}

/** Pause while it runs (or has nothing to do), Resume while paused, "Try Again" after an error. */
function pauseOrResume(input: TrayInput): TrayItem {
  const usable = !input.quitting && !input.failure && input.status !== null;
  const state = input.status?.state;
  if (state === 'paused') return { kind: 'action', id: 'resume', label: 'Resume Indexing', enabled: usable };
  if (state === 'error') return { kind: 'action', id: 'resume', label: 'Try Indexing Again', enabled: usable };
  return { kind: 'action', id: 'pause', label: 'Pause Indexing', enabled: usable };
}

/** The tray menu, top to bottom. */
export function trayMenu(input: TrayInput): TrayItem[] {
  const items: TrayItem[] = [
    { kind: 'status', label: statusLine(input) },
    { kind: 'separator' },
    { kind: 'action', id: 'show', label: 'Show Photowords', enabled: !input.quitting },
    pauseOrResume(input),
    { kind: 'separator' },
    { kind: 'toggle', id: 'keep-running', label: 'Keep Indexing When the Window Is Closed', checked: input.keepRunning, enabled: !input.quitting },
  ];
  if (input.startAtLogin !== null) {
    items.push({ kind: 'toggle', id: 'start-at-login', label: 'Start at Login', checked: input.startAtLogin, enabled: !input.quitting });
  }
  items.push({ kind: 'separator' }, { kind: 'action', id: 'quit', label: 'Quit Photowords', enabled: !input.quitting });
  return items;
}
