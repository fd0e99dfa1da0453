// "Start at login" on Linux, where Electron's app.setLoginItemSettings does nothing (it is macOS
// and Windows only): an XDG autostart entry, ~/.config/autostart/photowords.desktop (or under
// $XDG_CONFIG_HOME), which GNOME, KDE, Xfce, Cinnamon, MATE and LXQt run at login. No Electron
// import, so plain-Node tests check the file it writes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Started at login, Photowords opens no window: it indexes in the background behind its tray icon. */
export const HIDDEN_ARG = '--hidden';

export const DESKTOP_FILE = 'photowords.desktop';

/** $XDG_CONFIG_HOME/autostart, or ~/.config/autostart (an empty or relative XDG_CONFIG_HOME is ignored, as the spec says). */
export function autostartDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(config, 'autostart');
}

/**
 * One argument of a desktop entry's Exec key. Arguments with reserved characters are quoted, with
 * `"`, `` ` ``, `$` and `\` escaped inside the quotes; `%` is doubled (field codes); then the
 * string rule of the format doubles every backslash (so a literal backslash ends up as four).
 */
export function execArg(arg: string): string {
  const quoted = /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/["`$\\]/g, '\\$&')}"`;
  return quoted.replace(/%/g, '%%').replace(/\\/g, '\\\\');
}

/** The command that starts this app: the executable, and the app's folder when Electron runs it from source. */
export function launchCommand(opts: { execPath: string; appPath: string; packaged: boolean; appImage?: string }): string[] {
  // An AppImage runs from a temporary mount; $APPIMAGE is the file to start again.
  if (opts.appImage) return [opts.appImage, HIDDEN_ARG];
  return opts.packaged ? [opts.execPath, HIDDEN_ARG] : [opts.execPath, opts.appPath, HIDDEN_ARG];
}

/** The text of the autostart entry. */
export function desktopEntry(command: string[]): string {
  for (const a of command) if (/[\n\r\0]/.test(a)) throw new Error('A login command cannot contain line breaks.');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Photowords',
    'Comment=Keeps the photo library indexed in the background',
    `Exec=${command.map(execArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether our entry is there and not switched off (Hidden=true, or GNOME's own switch). */
export function isAutostartEnabled(dir: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, DESKTOP_FILE), 'utf8');
  } catch {
    return false;
  }
  return !/^\s*Hidden\s*=\s*true\s*$/im.test(text) && !/^\s*X-GNOME-Autostart-enabled\s*=\s*false\s*$/im.test(text);
}

/** Writes (enabled) or removes (disabled) the entry. */
export function setAutostart(dir: string, enabled: boolean, command: string[]): void {
  const file = path.join(dir, DESKTOP_FILE);
  if (!enabled) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, desktopEntry(command), { mode: 0o644 });
  fs.renameSync(tmp, file);
}
