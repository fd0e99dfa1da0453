#!/usr/bin/env bash
# Installs what the tests need and runs them. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
PHOTOWORDS_SKIP_ELECTRON=1 bash scripts/install.sh
npm run typecheck
npm test
