// Which folders a library folder may be added from when someone other than the person at the
// terminal can ask (`photowords serve`): only under the roots the server was started with, and
// never the disk's root, a system folder, or the index's own folder, whatever the roots say.
// Adding `/` would index every image on the disk and make each one readable through /file.
// The desktop app sets no policy: its folder picker is the person at the computer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Folders no library may be or be inside (POSIX); with Windows' below. */
const SYSTEM_POSIX = ['/etc', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/boot', '/dev', '/proc', '/sys', '/run', '/var', '/root', '/opt', '/srv', '/snap', '/System'];

function systemWindows(): string[] {
  const env = process.env;
  return [env.SystemRoot ?? 'C:\\Windows', env.ProgramFiles ?? 'C:\\Program Files', env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)', env.ProgramData ?? 'C:\\ProgramData'];
}

export interface RootPolicyOptions {
  /** --roots; empty or undefined: the defaults. */
  roots?: string[];
  /** Folders in the library when the server starts (a default root each). */
  existing?: string[];
  /** Folders named on serve's command line (roots too: the person at the terminal chose them). */
  commandLine?: string[];
  /** A loopback bind without sign-in: the desktop user, so the home folder is a default root. */
  loopbackOpen: boolean;
  /** Bound to loopback (with or without sign-in): the home folder itself may be added. Default: loopbackOpen. */
  loopback?: boolean;
  /** The index file: its folder (thumbnails, the database) is never a library. */
  dbPath: string;
  home?: string;
}

const within = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The user's Pictures folder: XDG_PICTURES_DIR (env or user-dirs.dirs), else ~/Pictures. */
export function picturesDir(home = os.homedir()): string {
  if (process.env.XDG_PICTURES_DIR) return process.env.XDG_PICTURES_DIR.replace(/^\$HOME/, home);
  try {
    const conf = fs.readFileSync(path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'user-dirs.dirs'), 'utf8');
    const m = /^XDG_PICTURES_DIR="([^"]+)"/m.exec(conf);
    if (m) return m[1].replace(/^\$HOME/, home);
  } catch {
    // no user-dirs file: the plain default
  }
  return path.join(home, 'Pictures');
}

export class RootPolicy {
  readonly roots: string[];
  private readonly home: string;
  private readonly indexDir: string;

  constructor(private readonly opts: RootPolicyOptions) {
    this.home = real(opts.home ?? os.homedir());
    this.indexDir = real(path.dirname(path.resolve(opts.dbPath)));
    // A folder added before these rules (`/`, say) is no root: it would open everything under it.
    const existing = (opts.existing ?? []).filter((f) => this.alwaysRefused(real(f)) === null);
    const given = opts.roots?.length ? opts.roots : [picturesDir(this.home), ...existing, ...(opts.loopbackOpen ? [this.home] : [])];
    this.roots = [...new Set([...given, ...(opts.commandLine ?? [])].map((r) => real(r)))];
  }

  /**
   * Why `dir` may not be a root given with --roots (`/`, a system folder ...), or null. The
   * same rules as for a folder, so a bad --roots fails at start rather than at every add.
   */
  refusedRoot(dir: string): string | null {
    return this.alwaysRefused(real(dir), true);
  }

  /** Library folders that these rules would refuse now (added before them, or from the desktop app), each with why. */
  refusedExisting(folders: string[]): { folder: string; why: string }[] {
    return folders.flatMap((folder) => {
      const why = this.alwaysRefused(real(folder));
      return why ? [{ folder, why }] : [];
    });
  }

  /** Why `dir` may not be added through the server, or null when it may. */
  refusal(dir: string): string | null {
    const r = real(dir);
    const always = this.alwaysRefused(r);
    if (always) return always;
    if (!this.roots.some((root) => within(r, root))) {
      return `${dir} is outside the folders this server may add (${this.roots.join(', ') || 'none'}). Start photowords serve with --roots <folder> to allow another.`;
    }
    return null;
  }

  /** As a root, only the disk's root and system folders are wrong: the rest is about one folder. */
  private alwaysRefused(r: string, asRoot = false): string | null {
    const parsed = path.parse(r);
    if (r === parsed.root) return `${r} is the root of a disk; add the folder that holds your photos instead.`;
    const sys = process.platform === 'win32' ? systemWindows() : SYSTEM_POSIX;
    // The home folder may sit under one of these (root's is /root); it is checked on its own below.
    const inHome = within(r, this.home);
    for (const s of sys) {
      if (within(r, real(s)) && !(inHome && within(this.home, real(s)))) {
        return `${r} is a system folder (${s}); Photowords never adds it as a library folder.`;
      }
    }
    if (asRoot) return null;
    if (r === this.home && !(this.opts.loopback ?? this.opts.loopbackOpen)) {
      return `${r} is the whole home folder; on a server reachable from the network, add the folders that hold photos (such as ${picturesDir(this.home)}).`;
    }
    // The index's folder holds the database and the thumbnail cache: a library holding it would
    // index Photowords' own thumbnails. A sibling folder of the database is fine.
    if (within(this.indexDir, r)) return `${r} holds Photowords' own index (${this.indexDir}); it cannot also be a library folder.`;
    const thumbs = path.join(this.indexDir, 'thumbnails');
    if (within(r, thumbs)) return `${r} is Photowords' own thumbnail cache; it cannot be a library folder.`;
    return null;
  }
}
