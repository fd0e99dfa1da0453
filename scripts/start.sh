#!/usr/bin/env bash
# One command from a fresh clone to a running Photowords: installs what is missing, builds the app,
# then opens the desktop app where Electron can run, else serves the same UI to a browser.
#   bash scripts/start.sh [FOLDER...]       (folders are added to the library)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npm run --silent build:app >/dev/null
DB="${PHOTOWORDS_DB:-$HOME/.photowords/library.db}"
if [ -f node_modules/electron/path.txt ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = Darwin ]; } && [ "${PHOTOWORDS_BROWSER:-}" != 1 ]; then
  exec node node_modules/electron/cli.js . "$@"
fi
echo "Electron cannot run here; starting the browser UI instead (open the address below)."
exec node bin/photowords.js serve --db "$DB" "$@"
