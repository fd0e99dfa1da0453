// The long-running commands over a Library: `serve` (the app in a browser) and `daemon` (indexing
// headless), with the signal handling and progress lines they share.
import { Command, Option } from 'commander';
import path from 'node:path';
import fs from 'node:fs';
import type { Library } from '../../core/index.js';
import { DEFAULT_DB, collect, int, log, type SettingsFlags } from '../options.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('the Photowords app in a browser: serves the UI and its API over HTTP, indexing the library folders as it runs (docs/SERVER.md)')
    .argument('[dir...]', 'folders to add to the library (kept in the database for next time)')
    .option('--db <file>', 'index database', DEFAULT_DB)
    .option('--port <n>', 'TCP port (0: any free one)', int('port', 0, 65535), 8618)
    .option('--host <addr>', 'address to listen on; anything but 127.0.0.1 opens the server to the network and requires sign-in', '127.0.0.1')
    .option('--auth', 'require sign-in even on 127.0.0.1 (always on for any other address)')
    .option(
      '--roots <dir>',
      "a folder under which library folders may be added from the browser (repeatable; default: your Pictures folder, the library's folders, and your home folder on 127.0.0.1 without --auth)",
      collect,
      [],
    )
    .option('--public-name <name>', 'a host name the server answers to besides its addresses, e.g. photos.home.lan (repeatable; name:port for a proxy on another port)', collect, [])
    .option('--tls-cert <pem>', 'serve https with this certificate (with --tls-key)')
    .option('--tls-key <pem>', 'the private key of --tls-cert')
    .option('--trust-proxy [addresses]', 'trust X-Forwarded-* from a reverse proxy: on loopback when bare, else these addresses (comma-separated, CIDR allowed)')
    .addOption(new Option('--provider <ep>', 'execution provider (default: the one chosen in Settings, else auto)').choices(['auto', 'cpu', 'cuda', 'dml', 'coreml']))
    .option('--engine <url>', "answer 'find similar' (TF-IDF) from an OpenSearch/Elasticsearch cluster holding an export of this library")
    .option('--engine-index <name>', 'with --engine: the index name', 'photowords')
    .option('--engine-stats <file>', "with --engine: the export's stats.json")
    .action(
      async (
        dirs: string[],
        o: {
          db: string;
          port: number;
          host: string;
          auth?: boolean;
          roots: string[];
          publicName: string[];
          tlsCert?: string;
          tlsKey?: string;
          trustProxy?: boolean | string;
          provider?: SettingsFlags['provider'];
          engine?: string;
          engineIndex: string;
          engineStats?: string;
        },
      ) => {
        const { Library } = await import('../../core/index.js');
        const { startServer } = await import('../../server/server.js');
        const { nodeDesktop } = await import('../../server/desktop.js');
        const { RootPolicy } = await import('../../core/index.js');
        const staticDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../out/renderer');
        if (!fs.existsSync(path.join(staticDir, 'index.html'))) throw new Error(`the UI is not built (${staticDir}); build it with: npm run build:web`);
        if (!o.tlsCert !== !o.tlsKey) throw new Error('--tls-cert and --tls-key go together: give both, or neither.');
        for (const f of [o.tlsCert, o.tlsKey]) if (f && !fs.existsSync(f)) throw new Error(`no such file: ${f}`);
        const loopback = o.host === '127.0.0.1' || o.host === 'localhost' || o.host === '::1';
        const signIn = o.auth === true || !loopback;
        // The folders named here are the person's own choice at the terminal, but never `/` or a system folder.
        const check = new RootPolicy({ roots: o.roots, commandLine: dirs, loopbackOpen: !signIn, loopback, dbPath: o.db });
        for (const r of o.roots) {
          const why = check.refusedRoot(r);
          if (why) throw new Error(`--roots ${r}: ${why}`);
        }
        for (const d of dirs) {
          const why = check.refusal(path.resolve(d));
          if (why) throw new Error(why);
        }
        const stop = stopSignal();
        const remoteIndex = o.engine ? { url: o.engine, index: o.engineIndex, statsFile: o.engineStats } : undefined;
        const library = await Library.open(o.db, { provider: o.provider, log, lockKind: 'serve', remoteIndex, desktop: nodeDesktop });
        try {
          await addLibraryFolders(library, dirs);
          const server = await startServer({
            library,
            staticDir,
            host: o.host,
            port: o.port,
            log,
            auth: o.auth === true,
            roots: o.roots.length ? o.roots : undefined,
            commandLineFolders: dirs.map((d) => path.resolve(d)),
            publicNames: o.publicName,
            tls: o.tlsCert && o.tlsKey ? { cert: o.tlsCert, key: o.tlsKey } : undefined,
            trustProxy: o.trustProxy,
          });
          // The one line scripts and tests look for.
          console.log(`Photowords is serving ${o.db} at ${server.url}`);
          if (server.setupUrl) {
            console.log(`Set the owner's password at: ${server.setupUrl}`);
            log(
              loopback
                ? 'Warning: no password is set yet. Until it is, anyone on this computer can set it; open the link above now.'
                : 'Warning: no password is set yet. Until it is, only someone with the setup link above can set it and use this server; open it now.',
            );
          }
          if (!loopback && !o.tlsCert) {
            log(`Warning: listening on ${o.host} over plain http: your password and photos cross the network unencrypted. Use --tls-cert/--tls-key, or a reverse proxy with https (docs/SERVER.md).`);
          } else if (!loopback) {
            log(`Listening on ${o.host}: sign-in is required; anyone who can reach this machine sees the sign-in page.`);
          }
          logLibraryStatus(library);
          await stop.promise;
          await server.close();
        } finally {
          await library.close();
        }
      },
    );
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('index the library folders in the background, headless: a reconcile at start, then every change the watcher sees; stops cleanly on SIGINT/SIGTERM')
    .argument('[dir...]', 'folders to add to the library (kept in the database for next time)')
    .option('--db <file>', 'index database', DEFAULT_DB)
    .option('--poll <ms>', 'how often an offline folder is looked at', int('poll', 100, 3_600_000), 3000)
    .addOption(new Option('--provider <ep>', 'execution provider (default: the one chosen in Settings, else auto)').choices(['auto', 'cpu', 'cuda', 'dml', 'coreml']))
    .action(async (dirs: string[], o: { db: string; poll: number; provider?: SettingsFlags['provider'] }) => {
      const { Library } = await import('../../core/index.js');
      for (const d of dirs) {
        const st = fs.statSync(path.resolve(d), { throwIfNoEntry: false });
        if (!st?.isDirectory()) throw new Error(`not a folder: ${d}`);
      }
      const stop = stopSignal();
      const library = await Library.open(o.db, { provider: o.provider, log, watch: true, pollMs: o.poll, lockKind: 'daemon' });
      try {
        await addLibraryFolders(library, dirs);
        const folders = await library.listFolders();
        if (folders.length === 0) throw new Error(`the library ${o.db} has no folders; name one: photowords daemon DIR --db ${o.db}`);
        log(`Photowords daemon (pid ${process.pid}) watching ${folders.map((f) => f.path + (f.online ? '' : ' (offline)')).join(', ')}; index ${path.resolve(o.db)}.`);
        logLibraryStatus(library, 5000);
        await stop.promise;
      } finally {
        // Stops the run (photos in flight finish and are stored, the rest wait for next time),
        // closes the watcher and the database, and releases the lock.
        await library.close();
      }
      const a = library.activity;
      log(`Stopped (${stop.received ?? 'error'}); ${a.modelPhotos} photos read by the model, ${a.reused} copies, ${a.moved} moved, ${a.removed} removed this session.`);
    });
}

/**
 * The first SIGINT or SIGTERM. Armed at once, so a signal that comes while the model loads still
 * stops cleanly once the library is open; photos in flight finish before the library closes.
 */
function stopSignal(): { promise: Promise<string>; readonly received: string | undefined } {
  let received: string | undefined;
  const promise = new Promise<string>((resolve) => {
    const on = (sig: string) => {
      if (received) return;
      received = sig;
      log(`${sig}: finishing the photos in flight, then stopping.`);
      resolve(sig);
    };
    process.on('SIGINT', () => on('SIGINT'));
    process.on('SIGTERM', () => on('SIGTERM'));
  });
  return {
    promise,
    get received() {
      return received;
    },
  };
}

/** Adds the folders named on the command line (kept in the database for next time). */
async function addLibraryFolders(library: Library, dirs: string[]): Promise<void> {
  for (const d of dirs) {
    const abs = path.resolve(d);
    if ((await library.listFolders()).some((f) => f.path === abs)) continue;
    await library.addFolder(abs);
    log(`Added ${abs} to the library.`);
  }
}

/** Progress lines on stderr: each change of state, and while indexing one every `everyMs` (0: none). */
function logLibraryStatus(library: Library, everyMs = 0): void {
  let lastState = '';
  let lastLine = 0;
  library.onEvent((e) => {
    if (e.type === 'library') {
      for (const f of e.folders) if (!f.online) log(`Offline: ${f.path} (${f.photos} photos kept).`);
      return;
    }
    if (e.type !== 'status') return; // a duplicates search's progress is the UI's to show
    const s = e.status;
    const now = Date.now();
    if (s.state === lastState && (s.state !== 'indexing' || !everyMs || now - lastLine < everyMs)) return;
    lastState = s.state;
    lastLine = now;
    if (s.state === 'idle') log(`Library: ${s.libraryPhotos} photos indexed${s.failuresTotal ? `, ${s.failuresTotal} could not be read` : ''}.`);
    else if (s.state === 'error') log(s.message ?? 'Indexing stopped.');
    else if (s.state === 'indexing' && everyMs) {
      log(`Indexing: ${s.done}/${s.total} photos, ${s.imagesPerSecond.toFixed(1)}/s${s.etaSeconds ? `, ${Math.ceil(s.etaSeconds)} s left` : ''}.`);
    } else log(`Indexing: ${s.state}`);
  });
}
