#!/usr/bin/env bash
# run.sh -- installs puppeteer-core from package-lock.json when missing
# (npm ci; it drives the system Chromium and downloads no browser), then
# runs run.mjs with the arguments it was given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/puppeteer-core" ]; then
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund) >&2
fi
exec node "$here/run.mjs" "$@"
