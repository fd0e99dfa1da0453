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

# The backbone ONNX graph (~87 MB) is built from the nsfwjs package, never downloaded or committed.
node bin/photowords.js model build
