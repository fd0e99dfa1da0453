#!/usr/bin/env bash
# Installs Photowords' dependencies and derives the model from the installed npm packages.
# Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Electron's binary and onnxruntime's CUDA files are downloads outside the npm registry:
# install without them, then try Electron's download once (it fails fast where there is no internet).
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if [ "${PHOTOWORDS_SKIP_ELECTRON:-}" != 1 ] && [ ! -f node_modules/electron/path.txt ]; then
  if ! (unset ELECTRON_SKIP_BINARY_DOWNLOAD; timeout 180 node node_modules/electron/install.js) >/dev/null 2>&1; then
    echo "Note: the Electron binary could not be downloaded; use the browser UI (photowords serve) instead."
  fi
fi

# better-sqlite3 is a classic Node addon (not N-API; sharp and onnxruntime-node are N-API and work
# as they are), so Electron needs a build against Electron's headers. It goes beside the Node build
# (which the CLI and the tests use) instead of replacing it the way @electron/rebuild would; the
# app's indexing process loads it from there (src/main/sqlite-binding.ts). A prebuilt binary or the
# headers are downloads, so this runs only where Electron's binary could be installed.
if [ "${PHOTOWORDS_SKIP_ELECTRON:-}" != 1 ] && [ -f node_modules/electron/path.txt ]; then
  electron_version=$(node -p "require('./node_modules/electron/package.json').version")
  sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
  target="node_modules/.cache/photowords/better_sqlite3-${sqlite_version}-electron-${electron_version}.node"
  if [ ! -f "$target" ]; then
    work=$(mktemp -d)
    cp -R node_modules/better-sqlite3/. "$work/"
    rm -rf "$work/build"
    # better-sqlite3's own install step (prebuild-install, else node-gyp) aimed at Electron.
    if (cd "$work" && PATH="$OLDPWD/node_modules/.bin:$PATH" npm_config_runtime=electron npm_config_target="$electron_version" \
          npm_config_disturl=https://electronjs.org/headers timeout 900 npm run install) >"$work.log" 2>&1 \
        && [ -f "$work/build/Release/better_sqlite3.node" ]; then
      mkdir -p "$(dirname "$target")"
      cp "$work/build/Release/better_sqlite3.node" "$target"
      rm -f "$work.log"
    else
      echo "Note: better-sqlite3 could not be built for Electron $electron_version (log: $work.log); the desktop app will say so when it starts. The browser UI (photowords serve) works."
    fi
    rm -rf "$work"
  fi
fi

# The backbone ONNX graph (~87 MB) is built from the nsfwjs package, never downloaded or committed.
node bin/photowords.js model build
