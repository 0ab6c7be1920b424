#!/usr/bin/env bash
# The IDE and the schema picture in Debian's chromium (headless, driven by playwright-core),
# against a live server on a scratch SQLite database with the demo seed. Every host but
# 127.0.0.1 is unresolvable in the browser. Leaves screenshots in var/ (CI artifacts).
# Needs `make install` (the venv and the built IDE) and /usr/bin/chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${BROWSER_TEST_PORT:-8766}"
scratch="$(mktemp -d)"
export DATABASE_URL="sqlite+aiosqlite:///$scratch/browser.db"
unset REDIS_URL
cadre="$root/.venv/bin/cadre"

test -f "$root/ide/dist/manifest.json" || { echo "the IDE is not built: run make install" >&2; exit 1; }
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
"$cadre" db upgrade >/dev/null
"$cadre" seed --demo --size 50 >/dev/null
CADRE_IDE_ASSETS="$root/ide/dist" "$cadre" serve --port "$port" >"$scratch/server.log" 2>&1 &
server=$!
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$scratch"; }
trap stop EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
mkdir -p "$root/var"
IDE_URL="http://127.0.0.1:$port/graphql" README="$root/README.md" \
  SCREENSHOT="$root/var/ide-screenshot.png" \
  TOKEN_ORG="$("$cadre" token issue demo-org)" TOKEN_ADMIN="$("$cadre" token issue demo-admin)" \
  node "$here/ide.mjs"
