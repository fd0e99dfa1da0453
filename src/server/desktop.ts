// What a library photo can ask of the desktop when the engine runs under plain Node (`photowords
// serve`): the system's trash and the file manager. They are the shell's, not the engine's: serve
// hands nodeDesktop to its Library (LibraryOptions.desktop); Electron's main process does both
// itself (shell.trashItem, shell.showItemInFolder), so nothing here is loaded there.
import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * Moves a file to the trash of the person's desktop (the XDG trash on Linux, the Finder's on
 * macOS, the Recycle Bin on Windows), where it can be restored from; never a plain delete. The
 * `trash` package is imported on first use: it reads XDG_DATA_HOME when it loads, and the app's
 * Electron build never needs it.
 */
export async function moveToTrash(file: string): Promise<void> {
  const { default: trash } = await import('trash');
  await trash([file], { glob: false });
}

/** The program and arguments that show `file` in the desktop's file manager. */
export function revealCommand(file: string, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  // A person can name another opener (a file manager of their own); it is given the folder.
  const custom = process.env.PHOTOWORDS_OPENER;
  if (custom) return { command: custom, args: [path.dirname(file)] };
  // macOS and Windows select the file in its folder; xdg-open can only open the folder.
  if (platform === 'darwin') return { command: 'open', args: ['-R', file] };
  if (platform === 'win32') return { command: 'explorer.exe', args: [`/select,${file}`] };
  return { command: 'xdg-open', args: [path.dirname(file)] };
}

/**
 * Opens the file's folder in the desktop's file manager: the opener is started detached and
 * without a shell (the path is one argument, never parsed), and left running on its own. Resolves
 * once it has started; rejects with a sentence when there is no such program.
 */
export function revealInFolder(file: string): Promise<void> {
  const { command, args } = revealCommand(file);
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(command, args, { detached: true, stdio: 'ignore', shell: false, windowsHide: false });
    } catch (e) {
      reject(new Error(`could not start ${command}: ${(e as Error).message}`));
      return;
    }
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new Error(
          e.code === 'ENOENT'
            ? `this computer has no ${command} to open folders with (set PHOTOWORDS_OPENER to a file manager); the photo is in ${path.dirname(file)}`
            : `could not start ${command}: ${e.message}`,
        ),
      );
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** The Desktop (src/core/library/trash-service.ts) that `photowords serve` gives its Library. */
export const nodeDesktop = { moveToTrash, revealInFolder };
