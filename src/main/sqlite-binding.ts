// better-sqlite3 is a classic Node addon (not N-API): a build works only in the runtime whose ABI
// it was compiled for. node_modules/better-sqlite3/build/Release holds the plain-Node build, which
// the CLI and the tests need; Electron needs one compiled against its own headers.
// scripts/install.sh makes that second build beside the first (when Electron's binary is there)
// instead of rebuilding in place, which would break the CLI and the tests; the indexing utility
// process then loads it in place of the Node build through require.cache (documented: "adding or
// replacing entries is also possible"), where better-sqlite3's `bindings` lookup finds it.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Where scripts/install.sh puts the Electron build of better-sqlite3 for this Electron version. */
export function electronSqliteBindingPath(electronVersion: string): string {
  const root = path.dirname(require.resolve('better-sqlite3/package.json'));
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return path.join(root, '..', '.cache', 'photowords', `better_sqlite3-${version}-electron-${electronVersion}.node`);
}

/**
 * In a packaged app: the same build, shipped by electron-builder.ts's extraResources as
 * resources/sqlite/<that name> (outside app.asar, so the loader reads a real file). Main computes
 * it; no environment variable can point a packaged app at another native module.
 */
export function packagedSqliteBinding(resourcesPath: string, electronVersion: string): string {
  return path.join(resourcesPath, 'sqlite', path.basename(electronSqliteBindingPath(electronVersion)));
}

/**
 * Makes better-sqlite3 load `file` (an Electron build) instead of its Node build. Returns false,
 * changing nothing, where there is no such file; opening a database then fails with Node's
 * NODE_MODULE_VERSION message, which explainOpenError turns into advice.
 */
export function useSqliteBinding(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  const root = path.dirname(require.resolve('better-sqlite3/package.json'));
  const nodeBuild = path.join(root, 'build', 'Release', 'better_sqlite3.node');
  if (!fs.existsSync(nodeBuild)) return false;
  const key = fs.realpathSync(nodeBuild);
  if (require.cache[key]) return true;
  const addon: unknown = require(file);
  require.cache[key] = { id: key, filename: key, loaded: true, exports: addon, children: [], paths: [], path: path.dirname(key) } as unknown as NodeJS.Module;
  return true;
}

/** A sentence for the person when the library cannot be opened because of the addon's ABI. */
export function explainOpenError(message: string, electronVersion: string | undefined): string {
  if (!/NODE_MODULE_VERSION|different Node\.js version|invalid ELF header|not a valid Win32 application/.test(message)) return message;
  return (
    `The database module (better-sqlite3) is built for Node.js, not for Electron ${electronVersion ?? ''}. ` +
    'Run `bash scripts/install.sh` on a machine that can download Electron (it builds the module for Electron), ' +
    'or use the browser UI: `photowords serve --db FILE`.' +
    `\n\n(${message.split('\n')[0]})`
  );
}
