// The packaged desktop app: `npm run dist` (electron-vite's build of out/, then electron-builder,
// which reads this file). test/integration/electron-hardening.test.ts loads it through electron-builder's own
// reader and schema, and checks the fuses and the paths main relies on.
import fs from 'node:fs';
import path from 'node:path';
import { Arch, type Configuration } from 'electron-builder';

/** What main loads when packaged (src/main/index.ts, sqlite-binding.ts): refused early if missing. */
export function missingForPackaging(root: string): string[] {
  const need = [
    'out/main/index.js',
    'out/main/indexer-process.js',
    'out/main/tokenizer-thread.js',
    'out/main/impact-thread.js',
    'out/main/heic-thread.js',
    'out/main/look-thread.js',
    'out/preload/index.cjs',
    'out/renderer/index.html',
    'resources/models/inception_v3-mixed7.onnx',
    'resources/models/inception_v3-mixed7.json',
  ];
  const missing = need.filter((f) => !fs.existsSync(path.join(root, f)));
  // The name main looks for (sqlite-binding.ts): these very versions of better-sqlite3 and Electron.
  const version = (pkg: string) => {
    try {
      return (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '<version>';
    }
  };
  const sqlite = `node_modules/.cache/photowords/better_sqlite3-${version('better-sqlite3')}-electron-${version('electron')}.node`;
  if (!fs.existsSync(path.join(root, sqlite))) missing.push(sqlite);
  return missing;
}

/**
 * Native builds for other platforms, left out: native modules are this machine's anyway (see
 * beforePack), and onnxruntime-node alone ships 155 MB of them.
 */
function otherPlatformsNatives(): string[] {
  const here = `${process.platform}/${process.arch}`;
  const out: string[] = [];
  for (const platform of ['darwin', 'linux', 'win32']) {
    for (const arch of ['x64', 'arm64']) if (`${platform}/${arch}` !== here) out.push(`!node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/**`);
  }
  const prebuilds = 'node_modules/@julusian/jpeg-turbo/prebuilds';
  if (fs.existsSync(prebuilds)) {
    for (const d of fs.readdirSync(prebuilds)) if (!d.startsWith(`jpeg-turbo-${process.platform}-${process.arch}`)) out.push(`!${prebuilds}/${d}/**`);
  }
  return out;
}

const config: Configuration = {
  appId: 'app.photowords.desktop',
  productName: 'Photowords',
  directories: { output: 'dist/app' },

  // out/ is electron-vite's build: main, its utility process and worker threads, preload,
  // renderer. Production dependencies are added by electron-builder. All of it goes into one
  // app.asar, which the fuses below make the only place the app's code is loaded from.
  files: [
    'out/main/**',
    'out/preload/**',
    'out/renderer/**',
    'package.json',
    '!**/*.map',
    // The CLI's TypeScript loader (bin/photowords.js) has no place in the desktop app.
    '!node_modules/{tsx,esbuild,@esbuild}/**',
    // better-sqlite3's C sources and its test extension.
    '!node_modules/better-sqlite3/{deps,src}/**',
    '!node_modules/better-sqlite3/build/Release/test_extension.node',
    ...otherPlatformsNatives(),
  ],
  // Only what asarUnpack names leaves the archive (electron-builder's smartUnpack would take out
  // whole packages that hold a binary, their JavaScript included, where no integrity check reads).
  asar: { smartUnpack: false },
  // Native code must be real files: the system's loader opens an addon's own shared libraries
  // (libvips beside sharp's addon, libonnxruntime beside onnxruntime's) by path, and exiftool is a
  // program that is started, not read. Electron redirects require() of an unpacked addon to
  // app.asar.unpacked, and exiftool-vendored looks there itself. No JavaScript is unpacked, so the
  // integrity check covers all of the app's code: the utility process (out/main/indexer-process.js,
  // which utilityProcess.fork loads from inside app.asar) and its worker threads
  // (out/main/*-thread.js, which worker_threads load from inside app.asar since Electron 19).
  asarUnpack: [
    '**/*.node',
    // libvips (and on Windows its DLLs) beside sharp's addon; not @img/colour, which is JavaScript.
    'node_modules/@img/*/lib/**/*.{so,dylib,dll}',
    'node_modules/@img/*/lib/**/*.so.*',
    'node_modules/onnxruntime-node/bin/**',
    'node_modules/exiftool-vendored.pl/bin/**',
    'node_modules/exiftool-vendored.exe/bin/**',
  ],
  extraResources: [
    // The model, built at install (scripts/install.sh: `photowords model build`), opened by
    // onnxruntime by path; main points the utility process at resources/models when packaged.
    { from: 'resources/models', to: 'models', filter: ['*.onnx', '*.json', 'codebooks/**'] },
    // The tray's icons: main reads resources/tray when packaged.
    { from: 'resources/tray', to: 'tray', filter: ['*.png'] },
    // better-sqlite3 built for Electron by scripts/install.sh (node_modules keeps the Node build
    // the CLI and tests use); main hands the utility process resources/sqlite/<name> when packaged.
    { from: 'node_modules/.cache/photowords', to: 'sqlite', filter: ['*.node'] },
  ],
  // electron-builder would rebuild native modules in place in node_modules, replacing the Node
  // build of better-sqlite3 that the CLI and tests need; the Electron build comes from above, and
  // sharp, onnxruntime-node and jpeg-turbo are N-API addons that Electron loads as they are.
  npmRebuild: false,

  // Nothing half-built goes out: the build, the model and the Electron build of better-sqlite3
  // must be there, and native modules are this machine's, so each platform is packaged on itself.
  beforePack: async (context) => {
    const missing = missingForPackaging(context.packager.projectDir);
    if (missing.length) {
      throw new Error(`Cannot package Photowords; missing: ${missing.join(', ')}. Run bash scripts/install.sh (on a machine that can download Electron) and npm run build:app first.`);
    }
    const arch = Arch[context.arch];
    if (context.electronPlatformName !== process.platform || arch !== process.arch) {
      throw new Error(`Package Photowords for ${context.electronPlatformName}-${arch} on that platform: its native modules here are ${process.platform}-${process.arch}.`);
    }
  },

  electronFuses: {
    // No ELECTRON_RUN_AS_NODE: the binary cannot be used as a plain Node. The app forks nothing;
    // its engine runs in a utilityProcess, which does not need it.
    runAsNode: false,
    enableCookieEncryption: true,
    // NODE_OPTIONS and --inspect* are ignored: no code injected through the environment or a debugger.
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    // app.asar is checked against the header hash electron-builder embeds (macOS and Windows), and
    // is the only place the app is loaded from (no resources/app folder can take its place).
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    // The app serves its pages from photowords://, never from file://.
    grantFileProtocolExtraPrivileges: false,
  },

  linux: { target: ['AppImage'], category: 'Graphics' },
  mac: { target: ['dmg'], category: 'public.app-category.photography' },
  win: { target: ['nsis'] },
};

export default config;
