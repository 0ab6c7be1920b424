#!/usr/bin/env bash
# The GraphQL-over-HTTP audit (npm graphql-http) against a live server on a scratch SQLite
# database. Exit status: the audit's (1 when any MUST or SHOULD fails).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${AUDIT_PORT:-8765}"
scratch="$(mktemp -d)"
export DATABASE_URL="sqlite+aiosqlite:///$scratch/audit.db"
unset REDIS_URL
cadre="$root/.venv/bin/cadre"

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
"$cadre" db upgrade >/dev/null
"$cadre" seed --demo --size 50 >/dev/null
"$cadre" serve --port "$port" >"$scratch/server.log" 2>&1 &
server=$!
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$scratch"; }
trap stop EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
AUDIT_URL="http://127.0.0.1:$port/graphql" AUDIT_TOKEN="$("$cadre" token issue demo-org)" \
  node "$here/audit.mjs"
