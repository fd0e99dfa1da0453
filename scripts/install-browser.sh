#!/usr/bin/env bash
# The browser the end-to-end tests drive: Debian's chromium package, never a Playwright download
# (no internet here, and one browser build shared with the system is what people have anyway).
set -euo pipefail
BIN="${PHOTOWORDS_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BIN" ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo -n"; else
    echo "chromium is not installed and this user cannot install it: run 'apt-get install chromium' as root" >&2
    exit 1
  fi
fi
echo "Installing Debian's chromium for the end-to-end tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x "$BIN" ] || { echo "chromium was installed but $BIN is missing" >&2; exit 1; }
