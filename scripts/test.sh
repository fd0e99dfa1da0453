#!/usr/bin/env bash
# Installs what the tests need and runs them. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
PHOTOWORDS_SKIP_ELECTRON=1 bash scripts/install.sh
bash scripts/install-browser.sh
bash scripts/install-lucene.sh
npm run typecheck
# ESLint (eslint.config.js: its rules, file sizes, the layering of src/) and Prettier's check.
npm run lint
# Main, preload and renderer, as the desktop app ships them; serve and the browser tests use the
# renderer from this build.
npm run build:app
npm test
npm run test:e2e
